//! The COS job's calendar: the configured epoch plus the machine clock, never the host
//! clock, formatted as COS prints dates and times; and COS timestamps (F$DTT).
//!
//! A COS timestamp is a count of nanoseconds since 1973-01-01 00:00:00. Source: the
//! Cray library's UNICOS versions of the COS timestamp routines, which say so where
//! they convert them (open64's `osprey/libu/util/c1/unitts.c`: "Timestamp units are
//! nanoseconds. Timestamps are nanoseconds since January 1, 1973", and `tsmt.c`,
//! whose constant for 1973-01-01 to 1990-01-01, 536457600000000000, is 6209 days of
//! nanoseconds: <https://github.com/open64-compiler/open64/tree/master/osprey/libu/util/c1>).

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
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
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

/// Nanoseconds in a second, the unit of a COS timestamp.
const NANOSECONDS: i64 = 1_000_000_000;

/// Why a date or time word is not one F$DTT converts.
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

/// F$DTT's conversion: the COS timestamp (nanoseconds since 1973-01-01 00:00:00,
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
    Ok(seconds * NANOSECONDS)
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

/// TSMT's conversion (F$TMT): the machine time, in clock periods of `period_ps`
/// picoseconds, at which the calendar reads the COS timestamp `stamp`. The
/// emulator's real-time clock counts clock periods from the epoch (`--epoch`), as
/// its calendar does, so the epoch is machine time 0 and a time before it is
/// negative. (TSMT "converts timestamp to real time clock value"; "a version of TSMT
/// existed on COS. The libCOS version accepted a value of timestamp that it assumed
/// was in nanoseconds": open64's `osprey/libu/util/c1/tsmt.c`,
/// <https://github.com/open64-compiler/open64/tree/master/osprey/libu/util/c1>.)
/// Beyond 64 bits the value saturates.
pub fn machine_time(stamp: i64, epoch: u64, period_ps: u64) -> i64 {
    let base = i128::from(TIMESTAMP_BASE_DAYS) * 86_400;
    let epoch_ns = (i128::from(epoch) - base) * i128::from(NANOSECONDS);
    let periods = (i128::from(stamp) - epoch_ns) * 1000 / i128::from(period_ps.max(1));
    periods.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// MTTS's conversion (F$MTT), the inverse of [`machine_time`]: the COS timestamp
/// the calendar reads at machine time `periods` (MTTS "converts the real time clock
/// value from clock ticks to system timestamp (expressed as nanoseconds). A version
/// of MTTS existed on COS": open64's `osprey/libu/util/c1/mtts.c`, same place).
pub fn machine_timestamp(periods: i64, epoch: u64, period_ps: u64) -> i64 {
    let base = i128::from(TIMESTAMP_BASE_DAYS) * 86_400;
    let epoch_ns = (i128::from(epoch) - base) * i128::from(NANOSECONDS);
    let stamp = epoch_ns + i128::from(periods) * i128::from(period_ps) / 1000;
    stamp.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

impl System {
    /// F$MTT (070): S1 = a machine time (clock periods); S1 = its COS timestamp,
    /// [`machine_timestamp`]. The library's MTTS passes and returns S1 as TSMT does.
    pub(crate) fn cos_machine_time_to_timestamp(&mut self, pid: Pid, s1: u64) -> Reply {
        let period = self.config.model.clock_period_ps();
        let value = machine_timestamp(s1 as i64, self.config.epoch, period);
        if let Some(process) = self.processes.get_mut(&pid) {
            process.cpu.s[1] = value as u64;
        }
        Reply::Status(0)
    }

    /// F$TMT (071): S1 = a COS timestamp; S1 = the machine time (clock periods of
    /// the real-time clock) it is, [`machine_time`]. The library's TSMT (AUDIT's at
    /// P=0101024) loads its argument into S1, makes the request and returns S1.
    pub(crate) fn cos_timestamp_to_machine_time(&mut self, pid: Pid, s1: u64) -> Reply {
        let period = self.config.model.clock_period_ps();
        let value = machine_time(s1 as i64, self.config.epoch, period);
        if let Some(process) = self.processes.get_mut(&pid) {
            process.cpu.s[1] = value as u64;
        }
        Reply::Status(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_times_and_timestamps_convert_both_ways() {
        // Epoch 1989-02-28 12:34:56 on an X-MP (9.5 ns): machine time 0 is the
        // epoch's timestamp, and one second is 1e12/9500 clock periods.
        let epoch = 604_672_496u64;
        let stamp = (epoch as i64 - 1096 * 86_400) * 1_000_000_000;
        assert_eq!(machine_time(stamp, epoch, 9_500), 0);
        assert_eq!(machine_time(stamp + 9_500, epoch, 9_500), 1_000);
        assert_eq!(machine_timestamp(0, epoch, 9_500), stamp);
        assert_eq!(machine_timestamp(1_000, epoch, 9_500), stamp + 9_500);
        assert_eq!(machine_time(i64::MAX, 0, 1), i64::MAX, "saturates");
    }

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

    /// Conversions that follow from the definition (nanoseconds since 1973-01-01),
    /// and the constant of libu's `tsmt.c` for 1990-01-01.
    #[test]
    fn known_timestamps() {
        assert_eq!(stamp("01/01/73", "00:00:00"), Ok(0));
        assert_eq!(stamp("01/01/73", "00:00:01"), Ok(NANOSECONDS));
        assert_eq!(stamp("01/02/73", "01:01:01"), Ok(90_061 * NANOSECONDS));
        assert_eq!(stamp("01/01/90", "00:00:00"), Ok(536_457_600_000_000_000));
        // 1970 is three years before the base: 1096 days.
        assert_eq!(
            stamp("01/01/70", "00:00:00"),
            Ok(-1096 * 86_400 * NANOSECONDS)
        );
        // A date F$DAT prints converts back to its own second, either side of 2000.
        for seconds in [604_672_496u64, 978_220_800, 1_700_000_000] {
            let back = stamp(&date_text(seconds), &time_text(seconds)).unwrap();
            let since_1970 = back / NANOSECONDS + TIMESTAMP_BASE_DAYS * 86_400;
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
        assert_eq!(ask("01/01/90", "00:00:00"), (0, 536_457_600_000_000_000));
        assert_eq!(
            ask("02/30/90", "00:00:00"),
            (STATUS_BAD_DATE_TIME, u64::MAX)
        );
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
