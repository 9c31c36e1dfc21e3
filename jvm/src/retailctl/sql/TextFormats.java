package retailctl.sql;

import java.time.LocalDate;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;

/**
 * The strict text formats silver accepts for typed columns, checked character by character.
 *
 * <p>Spark's regular expressions convert every value to a Java string and run a matcher, and its
 * cast of a timestamp with a zone compiles two more for every value, all inside silver's fused
 * per-row loop, which is too large for the JVM's optimizing compiler and runs as C1 code. Each of
 * these is a small method the optimizing compiler takes. They are registered as SQL functions (see
 * {@code retailctl/jobs/sql_functions.py}) and called once per value. Each returns NULL for a NULL
 * text; digits are ASCII digits only.
 */
public final class TextFormats {
  private TextFormats() {}

  /** True for a whole number: {@code [+-]?[0-9]+}. */
  public static final class WholeNumber implements UDF1<String, Boolean> {
    @Override
    public Boolean call(String text) {
      if (text == null) {
        return null;
      }
      int start = signed(text);
      return start < text.length() && digitsFrom(text, start) == text.length();
    }
  }

  /** True for a plain decimal of at most {@code scale} decimal places: {@code [+-]?([0-9]+(\.[0-9]{0,scale})?|\.[0-9]{1,scale})}. */
  public static final class PlainDecimal implements UDF2<String, Integer, Boolean> {
    @Override
    public Boolean call(String text, Integer scale) {
      if (text == null || scale == null) {
        return null;
      }
      int length = text.length();
      int start = signed(text);
      int point = digitsFrom(text, start);
      if (point == length) {
        return point > start;
      }
      if (text.charAt(point) != '.' || digitsFrom(text, point + 1) != length) {
        return false;
      }
      int places = length - point - 1;
      return places <= scale && (point > start || places > 0);
    }
  }

  /**
   * The instant of an ISO 8601 date-time as microseconds since the epoch, or NULL when the text is
   * not one or names an impossible time.
   *
   * <p>Form: {@code YYYY-MM-DD[T ]HH:MM[:SS[.f{1,9}]][Z|+HH|+HHMM|+HH:MM]} (or {@code -} before the
   * offset); without a zone the time is UTC. Fractions past microseconds are truncated, as Spark's
   * cast does; an offset may be at most 18:00.
   */
  public static final class IsoTimestamp implements UDF1<String, Long> {
    private static final int[] DAYS_IN_MONTH = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    private static final int NOT_AN_OFFSET = Integer.MIN_VALUE;

    @Override
    public Long call(String text) {
      if (text == null || text.length() < 16) {
        return null;
      }
      int year = number(text, 0, 4);
      int month = number(text, 5, 2);
      int day = number(text, 8, 2);
      int hour = number(text, 11, 2);
      int minute = number(text, 14, 2);
      char separator = text.charAt(10);
      if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || text.charAt(4) != '-' || text.charAt(7) != '-'
          || separator != 'T' && separator != ' ' || text.charAt(13) != ':') {
        return null;
      }
      int length = text.length();
      int at = 16;
      int second = 0;
      long micros = 0;
      if (at < length && text.charAt(at) == ':') {
        second = number(text, at + 1, 2);
        if (second < 0) {
          return null;
        }
        at += 3;
        if (at < length && text.charAt(at) == '.') {
          int end = digitsFrom(text, at + 1);
          int places = end - at - 1;
          if (places < 1 || places > 9) {
            return null;
          }
          micros = number(text, at + 1, Math.min(places, 6));
          for (int place = places; place < 6; place++) {
            micros *= 10;
          }
          at = end;
        }
      }
      int offsetSeconds = 0;
      if (at < length) {
        offsetSeconds = offsetSeconds(text, at);
        if (offsetSeconds == NOT_AN_OFFSET) {
          return null;
        }
      }
      if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) {
        return null;
      }
      long seconds = LocalDate.of(year, month, day).toEpochDay() * 86_400L + hour * 3_600L + minute * 60L + second;
      return (seconds - offsetSeconds) * 1_000_000L + micros;
    }

    /** The zone at {@code at} to the end of {@code text} in seconds east of UTC: {@code Z}, {@code +HH}, {@code +HHMM} or {@code +HH:MM}. */
    private static int offsetSeconds(String text, int at) {
      int length = text.length();
      char sign = text.charAt(at);
      if (sign == 'Z') {
        return at + 1 == length ? 0 : NOT_AN_OFFSET;
      }
      if (sign != '+' && sign != '-') {
        return NOT_AN_OFFSET;
      }
      int hours = number(text, at + 1, 2);
      int minutesAt = at + 3 < length && text.charAt(at + 3) == ':' ? at + 4 : at + 3;
      int minutes = minutesAt == length && minutesAt == at + 3 ? 0 : number(text, minutesAt, 2);
      boolean whole = minutesAt == length && minutesAt == at + 3 || minutesAt + 2 == length;
      if (hours < 0 || minutes < 0 || !whole || !(hours < 18 && minutes < 60 || hours == 18 && minutes == 0)) {
        return NOT_AN_OFFSET;
      }
      return (sign == '-' ? -1 : 1) * (hours * 60 + minutes) * 60;
    }

    private static int daysIn(int year, int month) {
      boolean leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
      return month == 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
    }
  }

  /** Where the digits of a number start: after a leading sign, if any. */
  private static int signed(String text) {
    return !text.isEmpty() && (text.charAt(0) == '+' || text.charAt(0) == '-') ? 1 : 0;
  }

  /** The index of the first character at or after {@code start} that is not an ASCII digit. */
  private static int digitsFrom(String text, int start) {
    int at = start;
    while (at < text.length() && isDigit(text.charAt(at))) {
      at++;
    }
    return at;
  }

  /** The value of the {@code count} ASCII digits at {@code start}, or -1 when any is missing or not a digit. */
  private static int number(String text, int start, int count) {
    if (start + count > text.length()) {
      return -1;
    }
    int value = 0;
    for (int at = start; at < start + count; at++) {
      char digit = text.charAt(at);
      if (!isDigit(digit)) {
        return -1;
      }
      value = value * 10 + digit - '0';
    }
    return value;
  }

  private static boolean isDigit(char character) {
    return character >= '0' && character <= '9';
  }
}
