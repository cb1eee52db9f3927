/// UTC civil time ⇄ seconds since 1970, by arithmetic (the proleptic Gregorian calendar, no leap
/// seconds, as POSIX counts): no `tm`, no time zone, no libc. Every timestamp takevault writes or
/// parses — ISO 8601 in manifests and the catalog, HTTP dates, SigV4's basic format, log lines —
/// goes through here.
public struct UTCTime: Sendable, Equatable {
    public var year: Int64
    /// 1…12.
    public var month: Int
    /// 1…31.
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int64, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The civil time of `seconds` since 1970-01-01T00:00:00Z (negative before it).
    public init(secondsSince1970 seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
        let ofDay = Int(seconds - days * 86_400)
        // Days to civil date, counted in 400-year eras from 0000-03-01.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        hour = ofDay / 3_600
        minute = ofDay % 3_600 / 60
        second = ofDay % 60
    }

    /// Seconds since 1970-01-01T00:00:00Z. Fields outside their ranges are not rolled over here:
    /// parsers check ranges first (``isValid``).
    public var secondsSince1970: Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + Int64(hour * 3_600 + minute * 60 + second)
    }

    /// Whether every field is in range: month 1…12, a day the month has, hour 0…23, minute 0…59,
    /// second 0…60 (a leap second is accepted and counts as the next minute's first).
    public var isValid: Bool {
        guard (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return false }
        return (1...Self.days(inMonth: month, year: year)).contains(day)
    }

    static func days(inMonth month: Int, year: Int64) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `2026-11-29T06:30:00Z`: ISO 8601 to the second, as takevault writes every timestamp.
    public var iso8601: String {
        "\(Self.padded(year, 4))-\(Self.padded(month, 2))-\(Self.padded(day, 2))T\(Self.padded(hour, 2)):\(Self.padded(minute, 2)):\(Self.padded(second, 2))Z"
    }

    /// `20261129T063000Z`: ISO 8601's basic format (SigV4's `x-amz-date`).
    public var basicFormat: String {
        "\(Self.padded(year, 4))\(Self.padded(month, 2))\(Self.padded(day, 2))T\(Self.padded(hour, 2))\(Self.padded(minute, 2))\(Self.padded(second, 2))Z"
    }

    /// Zero-padded decimal, for the fixed-width formats.
    public static func padded(_ value: some BinaryInteger, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
