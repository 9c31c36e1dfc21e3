package retailctl.hadoop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's local file system without a process per file.
 *
 * <p>Without Hadoop's native library (pip's pyspark has none), RawLocalFileSystem sets the
 * permission of every file and directory it creates by running {@code chmod} in a new process:
 * hundreds of forks of the driver JVM for one date-partitioned write. This sets the same bits with
 * java.nio instead. It is also raw (no .crc side files): the lake's integrity is the store's job.
 */
public class ForklessLocalFileSystem extends RawLocalFileSystem {
  private static final PosixFilePermission[] BITS = {
    PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
    PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
    PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE,
  };

  @Override
  public void setPermission(Path path, FsPermission permission) throws IOException {
    short mode = permission.toShort();
    Set<PosixFilePermission> granted = EnumSet.noneOf(PosixFilePermission.class);
    for (int index = 0; index < BITS.length; index++) {
      if ((mode & (1 << (BITS.length - 1 - index))) != 0) {
        granted.add(BITS[index]);
      }
    }
    Files.setPosixFilePermissions(pathToFile(path).toPath(), granted);
  }
}
