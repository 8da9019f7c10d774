//! The COS job's calendar: the configured epoch plus the machine clock, never the host
//! clock, formatted as COS prints dates and times; and COS timestamps (F$DTT, F$TDT,
//! F$MTT, F$TMT).
//!
//! A COS timestamp counts from 1973-01-01 00:00:00 (open64's UNICOS versions of the
//! COS timestamp routines: `osprey/libu/util/c1/mtts.c`, "COS systems used base date
//! January 1, 1973",
//! <https://github.com/open64-compiler/open64/tree/master/osprey/libu/util/c1>), in
//! units of 1.024 ns: 976 562 500 to the second. UNICOS counts nanoseconds (its
//! `unitts.c`: "Timestamp units are nanoseconds"), but the COS 1.16 library linked
//! into the corpus binaries does not: its UNITTS (PRVDEF's routine at P=0356650,
//! called with 30 and `DAYS` for a password's expiry) takes the timestamp units of
//! DAYS, HOURS, MINUTES, SECONDS, MSEC, USEC and USEC100 from a table at words
//! 073602–073610 (`cray debug`, `x 073602 7`) that holds 84375000000000,
//! 3515625000000, 58593750000, 976562500, 976563, 977 and 97656: every entry is
//! 976 562 500 units to the second, rounded. PRVDEF adds UNITTS's 30 days to F$DTT's
//! timestamp of now and shows the sum with F$TDT, so only this unit shows a 30-day
//! expiry 30 days on (01/31/70 after 01/01/70; nanoseconds would show 01/30/70).

use crate::cos::System;
use crate::system::Pid;

use super::requests::Reply;

/// Civil date (year, month 1–12, day 1–31) of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Day count since 1970-01-01 of a civil date (the inverse of [`civil_from_days`]).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Howard Hinnant's civil-to-days algorithm (proleptic Gregorian calendar).
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Day of the year (1–366).
pub fn day_of_year(year: i64, month: u32, day: u32) -> u32 {
    const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let leap = u32::from(month > 2 && is_leap(year));
    BEFORE[(month - 1) as usize] + day + leap
}

/// `mm/dd/yy` for `seconds` since 1970 (F$DAT).
pub fn date_text(seconds: u64) -> String {
    day_text((seconds / 86_400) as i64)
}

/// `mm/dd/yy` of the day `days` after 1970-01-01 (negative before it): the year's
/// last two digits, whatever its century.
fn day_text(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{month:02}/{day:02}/{:02}", year.rem_euclid(100))
}

/// `hh:mm:ss` for `seconds` since 1970 (F$TIM).
pub fn time_text(seconds: u64) -> String {
    let s = seconds % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Julian date `yyddd` (F$JDA), right-justified in 8 characters with leading blanks.
pub fn julian_text(seconds: u64) -> String {
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    format!(
        "   {:02}{:03}",
        year.rem_euclid(100),
        day_of_year(year, month, day)
    )
}

/// Days from 1970-01-01 to 1973-01-01, the base of COS timestamps (1970, 1971 and
/// 1972 have 365, 365 and 366 days).
const TIMESTAMP_BASE_DAYS: i64 = 1096;

/// Timestamp units in a second (module notes): one unit is 1.024 ns.
pub const UNITS_PER_SECOND: i64 = 976_562_500;

/// Why a word is not one the time conversions convert (F$DTT's date or time, or a
/// result of F$MTT or F$TMT that does not fit a word).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDateTime(pub String);

/// The three two-digit fields of `word` (bytes 0–1, 3–4 and 6–7, ASCII digits)
/// with `separator` in bytes 2 and 5: `mm/dd/yy` or `hh:mm:ss`.
fn three_fields(word: u64, separator: u8, what: &str) -> Result<[u32; 3], BadDateTime> {
    let bytes = word.to_be_bytes();
    let text = super::bits::word_ascii(word);
    let bad = || {
        BadDateTime(format!(
            "{what} {text:?} is not of the form {}",
            match separator {
                b'/' => "mm/dd/yy",
                _ => "hh:mm:ss",
            }
        ))
    };
    if bytes[2] != separator || bytes[5] != separator {
        return Err(bad());
    }
    let mut fields = [0u32; 3];
    for (field, at) in fields.iter_mut().zip([0, 3, 6]) {
        let (high, low) = (bytes[at], bytes[at + 1]);
        if !high.is_ascii_digit() || !low.is_ascii_digit() {
            return Err(bad());
        }
        *field = u32::from(high - b'0') * 10 + u32::from(low - b'0');
    }
    Ok(fields)
}

/// The year of a two-digit year: 69–99 are 1969–1999 and 00–68 are 2000–2068, the
/// window POSIX gives `%y` in `strptime`
/// (<https://pubs.opengroup.org/onlinepubs/9699919799/functions/strptime.html>), so
/// that what F$DAT prints for any epoch the emulator is given converts back to the
/// same day.
fn full_year(yy: u32) -> i64 {
    if yy >= 69 {
        1900 + i64::from(yy)
    } else {
        2000 + i64::from(yy)
    }
}

/// F$DTT's conversion: the COS timestamp (units since 1973-01-01 00:00:00,
/// negative before it) of the ASCII date `mm/dd/yy` and time `hh:mm:ss`, as F$DAT
/// and F$TIM store them.
pub fn timestamp(date: u64, time: u64) -> Result<i64, BadDateTime> {
    let [month, day, yy] = three_fields(date, b'/', "date")?;
    let [hours, minutes, seconds] = three_fields(time, b':', "time")?;
    let year = full_year(yy);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    };
    if day == 0 || day > month_days {
        let text = super::bits::word_ascii(date);
        return Err(BadDateTime(format!(
            "date {text:?} is not a day of the calendar"
        )));
    }
    if hours > 23 || minutes > 59 || seconds > 59 {
        let text = super::bits::word_ascii(time);
        return Err(BadDateTime(format!("time {text:?} is not a time of day")));
    }
    let days = days_from_civil(year, month, day) - TIMESTAMP_BASE_DAYS;
    let seconds = days * 86_400 + i64::from(hours * 3600 + minutes * 60 + seconds);
    Ok(seconds * UNITS_PER_SECOND)
}

/// F$TDT's conversion, the inverse of F$DTT's ([`timestamp`]): the ASCII date
/// `mm/dd/yy` and time `hh:mm:ss` of the COS timestamp `stamp`, and the units
/// past that second. Every timestamp is an instant (a negative one before
/// 1973-01-01), so there is nothing to refuse; the year is written with its last two
/// digits, which F$DTT reads back to the same day for the years 1969–2068.
pub fn date_and_time(stamp: i64) -> (String, String, u64) {
    let seconds = stamp.div_euclid(UNITS_PER_SECOND);
    let units = stamp.rem_euclid(UNITS_PER_SECOND) as u64;
    let days = seconds.div_euclid(86_400) + TIMESTAMP_BASE_DAYS;
    let of_day = seconds.rem_euclid(86_400) as u64;
    (day_text(days), time_text(of_day), units)
}

/// Picoseconds in a timestamp unit (10^12 / [`UNITS_PER_SECOND`]): a clock period is
/// given in picoseconds (JCCYCL, "CPU cycle time (picosecs)", in COS-Tools'
/// `systxt.cal`).
const UNIT_PICOSECONDS: i128 = 1024;

/// The COS timestamp of the machine's cycle 0, the instant `--epoch` names
/// (`epoch` seconds since 1970), as wide as it needs to be.
fn epoch_timestamp(epoch: u64) -> i128 {
    (i128::from(epoch) - i128::from(TIMESTAMP_BASE_DAYS) * 86_400) * i128::from(UNITS_PER_SECOND)
}

/// The COS timestamp of the instant `seconds` after 1970-01-01 00:00:00 (how the
/// permanent-dataset store records its times), saturated to a word beyond 64 bits.
pub fn timestamp_of_unix_seconds(seconds: u64) -> i64 {
    let stamp = epoch_timestamp(seconds);
    stamp.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// `value` as a timestamp or machine time word, or why it is not one.
fn fits(value: i128, what: &str) -> Result<i64, BadDateTime> {
    i64::try_from(value).map_err(|_| BadDateTime(format!("{what} {value} is beyond a 64-bit word")))
}

/// F$MTT's conversion: the COS timestamp of the real-time clock value `rt` (clock
/// periods of `period_ps` picoseconds since the machine's cycle 0, which is the
/// instant `epoch`, seconds since 1970, names: the clock the job's F$DAT and F$TIM
/// read). libu's `mtts.c` (module notes) converts the same way, RT times the cycle
/// time in picoseconds, over the picoseconds of its unit, plus the timestamp of the
/// RT's base date (1990-01-01 there; COS's, it says, was 1973-01-01). Parts of a
/// unit are rounded down.
pub fn machine_time_to_timestamp(rt: i64, epoch: u64, period_ps: u64) -> Result<i64, BadDateTime> {
    let since = (i128::from(rt) * i128::from(period_ps)).div_euclid(UNIT_PICOSECONDS);
    fits(epoch_timestamp(epoch) + since, "the timestamp")
}

/// F$TMT's conversion, the inverse of [`machine_time_to_timestamp`]: the
/// real-time clock value (whole clock periods, rounded down; negative before the
/// machine's cycle 0) of the COS timestamp `stamp` (libu's `tsmt.c`).
pub fn timestamp_to_machine_time(
    stamp: i64,
    epoch: u64,
    period_ps: u64,
) -> Result<i64, BadDateTime> {
    if period_ps == 0 {
        return Err(BadDateTime("the clock period is 0".to_string()));
    }
    let since = i128::from(stamp) - epoch_timestamp(epoch);
    fits(
        (since * UNIT_PICOSECONDS).div_euclid(i128::from(period_ps)),
        "the machine time",
    )
}

/// S0 after an F$DTT whose date or time cannot be converted (S1 is then -1). COS's
/// own code for it is not known here; the library's DTTS (RELOAD's at P=0316400)
/// returns S1 whatever S0 says.
pub const STATUS_BAD_DATE_TIME: u64 = 1;

impl System {
    /// F$DTT (067): S1 = ASCII date `mm/dd/yy`, S2 = ASCII time `hh:mm:ss`; S1 = the
    /// COS timestamp. The library's DTTS (RELOAD's, at P=0316400) loads its two
    /// arguments into S1 and S2, makes the request and returns S1 as its value
    /// (storing it at its third argument when there is one). A date or time that is
    /// not one gets S0 = [`STATUS_BAD_DATE_TIME`], S1 = -1 and a console line saying
    /// why, not the end of the job.
    pub(crate) fn cos_date_time_to_timestamp(&mut self, pid: Pid, s1: u64, s2: u64) -> Reply {
        let (status, value) = match timestamp(s1, s2) {
            Ok(stamp) => (0, stamp as u64),
            Err(BadDateTime(why)) => {
                let line = format!("cray: pid {pid}: F$DTT: {why}\n");
                self.console_mut().message(line.as_bytes());
                (STATUS_BAD_DATE_TIME, u64::MAX)
            }
        };
        if let Some(process) = self.processes.get_mut(&pid) {
            process.cpu.s[1] = value;
        }
        Reply::Status(status)
    }
}

impl System {
    /// F$TDT (066): S1 = a COS timestamp; S1 = its ASCII date `mm/dd/yy`, S2 = its
    /// time `hh:mm:ss`, S3 = the timestamp units past that second, S0 = 0. The
    /// library's TSDT (PRVDEF's at P=0342670, AUDIT's at 0404030, JCSDEF's at
    /// 0307770; `cray dis`) loads its first argument into S1, makes the request and
    /// stores S1, S2 and S3 at its second, third and fourth arguments. What COS put
    /// in S3 is not known here: no corpus caller reads the word it lands in (PRVDEF
    /// and AUDIT name it only as that argument), and those units are the part
    /// of the timestamp the other two leave out.
    pub(crate) fn cos_timestamp_to_date_time(&mut self, pid: Pid, s1: u64) -> Reply {
        let (date, time, units) = date_and_time(s1 as i64);
        if let Some(process) = self.processes.get_mut(&pid) {
            process.cpu.s[1] = super::bits::ascii_word(&date);
            process.cpu.s[2] = super::bits::ascii_word(&time);
            process.cpu.s[3] = units;
        }
        Reply::Status(0)
    }

    /// F$MTT (070, S1 = a real-time clock value) and F$TMT (071, S1 = a COS
    /// timestamp): S1 = the other, S0 = 0. The library's MTTS and TSMT (AUDIT's at
    /// P=0342570 and 0404120, by their traceback names) load their first argument
    /// into S1, make the request and return S1. A result beyond a 64-bit word gets
    /// S0 = [`STATUS_BAD_DATE_TIME`], S1 = -1 and a console line, as F$DTT's bad
    /// dates do.
    pub(crate) fn cos_machine_time(&mut self, pid: Pid, to_timestamp: bool, s1: u64) -> Reply {
        let (epoch, period) = (self.config.epoch, self.config.model.clock_period_ps());
        let (name, result) = if to_timestamp {
            ("F$MTT", machine_time_to_timestamp(s1 as i64, epoch, period))
        } else {
            ("F$TMT", timestamp_to_machine_time(s1 as i64, epoch, period))
        };
        match result {
            Ok(value) => Reply::Value(value as u64),
            Err(BadDateTime(why)) => {
                let line = format!("cray: pid {pid}: {name}: {why}\n");
                self.console_mut().message(line.as_bytes());
                if let Some(process) = self.processes.get_mut(&pid) {
                    process.cpu.s[1] = u64::MAX;
                }
                Reply::Status(STATUS_BAD_DATE_TIME)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(date_text(0), "01/01/70");
        assert_eq!(time_text(0), "00:00:00");
        // 1989-02-28 12:34:56 UTC.
        let t = 604_672_496;
        assert_eq!(date_text(t), "02/28/89");
        assert_eq!(time_text(t), "12:34:56");
        assert_eq!(julian_text(t), "   89059");
        // 2000-12-31 is day 366 of a leap year.
        assert_eq!(julian_text(978_220_800), "   00366");
    }

    fn stamp(date: &str, time: &str) -> Result<i64, BadDateTime> {
        timestamp(
            crate::cos::bits::ascii_word(date),
            crate::cos::bits::ascii_word(time),
        )
    }

    #[test]
    fn days_round_trip() {
        for days in [-800_000, -1, 0, 1, 59, 1096, 6209, 10_957, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(days_from_civil(1973, 1, 1), TIMESTAMP_BASE_DAYS);
    }

    /// Conversions that follow from the definition (units of 1.024 ns since
    /// 1973-01-01): 1990-01-01 is 6209 days on.
    #[test]
    fn known_timestamps() {
        assert_eq!(stamp("01/01/73", "00:00:00"), Ok(0));
        assert_eq!(stamp("01/01/73", "00:00:01"), Ok(UNITS_PER_SECOND));
        assert_eq!(stamp("01/02/73", "01:01:01"), Ok(90_061 * UNITS_PER_SECOND));
        assert_eq!(stamp("01/01/90", "00:00:00"), Ok(523_884_375_000_000_000));
        // 1970 is three years before the base: 1096 days.
        assert_eq!(
            stamp("01/01/70", "00:00:00"),
            Ok(-1096 * 86_400 * UNITS_PER_SECOND)
        );
        // A date F$DAT prints converts back to its own second, either side of 2000.
        for seconds in [604_672_496u64, 978_220_800, 1_700_000_000] {
            let back = stamp(&date_text(seconds), &time_text(seconds)).unwrap();
            let since_1970 = back / UNITS_PER_SECOND + TIMESTAMP_BASE_DAYS * 86_400;
            assert_eq!(since_1970, seconds as i64);
        }
        // 1988 and 2000 (yy 00) were leap years.
        assert!(stamp("02/29/88", "23:59:59").is_ok());
        assert!(stamp("02/29/00", "12:00:00").is_ok());
    }

    /// F$DTT through the request: S1 = the timestamp; a bad date gets S0 = 1,
    /// S1 = -1, and the job goes on.
    #[test]
    fn the_request_answers_in_s1() {
        use crate::cos::bits::ascii_word;
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let mut ask = |date: &str, time: &str| {
            let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
            cpu.s[0] = 0o67;
            cpu.s[1] = ascii_word(date);
            cpu.s[2] = ascii_word(time);
            system.cos_request(pid, 0o1000);
            let process = &system.processes[&pid];
            assert!(process.is_alive());
            (process.cpu.s[0], process.cpu.s[1])
        };
        assert_eq!(ask("01/01/90", "00:00:00"), (0, 523_884_375_000_000_000));
        assert_eq!(
            ask("02/30/90", "00:00:00"),
            (STATUS_BAD_DATE_TIME, u64::MAX)
        );
    }

    fn words(stamp: i64) -> (String, String, u64) {
        date_and_time(stamp)
    }

    fn text(date: &str, time: &str, units: u64) -> (String, String, u64) {
        (date.to_string(), time.to_string(), units)
    }

    /// F$TDT's conversion on values worked out by hand from the definition.
    #[test]
    fn timestamps_to_dates_and_times() {
        assert_eq!(words(0), text("01/01/73", "00:00:00", 0));
        // One unit before the base is the last of 1972.
        assert_eq!(words(-1), text("12/31/72", "23:59:59", 976_562_499));
        assert_eq!(
            words(1_500_000_000),
            text("01/01/73", "00:00:01", 523_437_500)
        );
        // 1988-02-29 12:00:00: 15 years of 365 days and 3 leap days (1976, 1980,
        // 1984) to 1988-01-01, then 31 + 28 days: day 5537, plus half a day.
        let leap_noon = (5537 * 86_400 + 43_200) * UNITS_PER_SECOND;
        assert_eq!(words(leap_noon), text("02/29/88", "12:00:00", 0));
        assert_eq!(
            words(523_884_375_000_000_000),
            text("01/01/90", "00:00:00", 0)
        );
        // The emulator's default date, 1096 days before the base.
        assert_eq!(
            words(-1096 * 86_400 * UNITS_PER_SECOND),
            text("01/01/70", "00:00:00", 0)
        );
        // The ends of the word: 1973 ± 299 years, the year's last two digits.
        assert_eq!(words(i64::MAX), text("04/17/72", "00:56:05", 721_963_307));
        assert_eq!(words(i64::MIN), text("09/15/73", "23:03:54", 254_599_192));
    }

    /// F$TDT then F$DTT gives the timestamp back to the second, on either side of
    /// the base and of 2000.
    #[test]
    fn date_and_time_round_trip() {
        for given in [
            0,
            -94_694_400_000_000_000,
            478_440_000_000_000_000,
            536_457_600_999_999_999,
            951_782_400_000_000_000,
            2_900_000_000_000_000_000,
        ] {
            let (date, time, units) = words(given);
            assert_eq!(
                stamp(&date, &time).map(|back| back + units as i64),
                Ok(given),
                "{date} {time}"
            );
        }
    }

    /// F$MTT and F$TMT: RT 0 is the epoch; a clock period is 9.5 ns on the X-MP
    /// and 12.5 ns on the Cray-1, a timestamp unit 1.024 ns (1024 ps).
    #[test]
    fn machine_times_and_timestamps() {
        let base = -1096 * 86_400 * UNITS_PER_SECOND;
        assert_eq!(machine_time_to_timestamp(0, 0, 9500), Ok(base));
        // 1024 periods of 9500 ps are 9500 units of 1024 ps.
        assert_eq!(machine_time_to_timestamp(1024, 0, 9500), Ok(base + 9500));
        // 3 periods, 28 500 ps: 27 whole units.
        assert_eq!(machine_time_to_timestamp(3, 0, 9500), Ok(base + 27));
        let at_base = 1096 * 86_400;
        assert_eq!(machine_time_to_timestamp(1024, at_base, 12_500), Ok(12_500));
        assert_eq!(timestamp_to_machine_time(12_500, at_base, 12_500), Ok(1024));
        assert_eq!(timestamp_to_machine_time(base + 9500, 0, 9500), Ok(1024));
        // Before the epoch, a negative clock; a part of a period rounds down.
        assert_eq!(timestamp_to_machine_time(base - 1, 0, 9500), Ok(-1));
        assert_eq!(timestamp_to_machine_time(base + 27, 0, 9500), Ok(2));
        // Results beyond a word and a clock period of 0 are refused.
        assert!(machine_time_to_timestamp(i64::MAX, 0, 9500).is_err());
        assert!(machine_time_to_timestamp(0, u64::MAX, 9500).is_err());
        assert!(timestamp_to_machine_time(0, 0, 0).is_err());
        assert!(timestamp_to_machine_time(i64::MAX, u64::MAX, 1).is_err());
    }

    /// The requests: F$TDT answers in S1–S3, F$MTT in S1; a result that does not
    /// fit gets S0 = 1, S1 = -1, and the job goes on.
    #[test]
    fn the_conversions_answer_in_registers() {
        use crate::cos::bits::ascii_word;
        let dir = tempfile::tempdir().unwrap();
        let (mut system, pid) = crate::cos::loader::test_job(dir.path());
        let period = system.config.model.clock_period_ps() as i64;
        let mut ask = |code: u64, s1: u64| {
            let cpu = &mut system.processes.get_mut(&pid).unwrap().cpu;
            cpu.s[0] = code;
            cpu.s[1] = s1;
            system.cos_request(pid, 0o1000);
            let process = &system.processes[&pid];
            assert!(process.is_alive());
            let s = process.cpu.s;
            (s[0], s[1], s[2], s[3])
        };
        let leap = ((5537 * 86_400 + 43_201) * UNITS_PER_SECOND + 7) as u64;
        assert_eq!(
            ask(0o66, leap),
            (0, ascii_word("02/29/88"), ascii_word("12:00:01"), 7)
        );
        // 1024 clock periods after the epoch are `period` units of 1024 ps.
        let later = (-1096 * 86_400 * UNITS_PER_SECOND + period) as u64;
        assert_eq!(ask(0o70, 1024).1, later);
        assert_eq!(ask(0o71, later).1, 1024);
        let (s0, s1, _, _) = ask(0o70, i64::MAX as u64);
        assert_eq!((s0, s1), (STATUS_BAD_DATE_TIME, u64::MAX));
    }

    #[test]
    fn bad_dates_and_times_are_refused() {
        for (date, time) in [
            ("02/29/89", "00:00:00"),
            ("13/01/88", "00:00:00"),
            ("00/10/88", "00:00:00"),
            ("04/31/88", "00:00:00"),
            ("01/01/88", "24:00:00"),
            ("01/01/88", "12:60:00"),
            ("1/1/1988", "00:00:00"),
            ("01-01-88", "00:00:00"),
            ("01/01/88", ""),
            ("", "00:00:00"),
        ] {
            assert!(stamp(date, time).is_err(), "{date} {time}");
        }
    }
}
