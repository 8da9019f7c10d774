//! The COS job's calendar: the configured epoch plus the machine clock, never the host
//! clock, formatted as COS prints dates and times.

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
}
