from retailctl.cli.main import main

main()
