import TakevaultCore

/// The two date forms S3 answers with, as seconds since 1970 (UTC).
enum HTTPDates {
    /// `2009-10-12T17:50:30.000Z` (listings, multipart uploads).
    static func iso8601(_ text: String) -> Int64? {
        let digits = text.utf8.map { $0 }
        guard digits.count >= 19 else { return nil }
        func number(_ from: Int, _ count: Int) -> Int32? {
            var value: Int32 = 0
            for index in from..<(from + count) {
                let byte = digits[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int32(byte - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return nil }
        return utc(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// `Wed, 12 Oct 2009 17:50:00 GMT` (`Last-Modified`).
    static func rfc1123(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count >= 5, let day = Int32(parts[1]), let year = Int32(parts[3]) else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let month = months.firstIndex(of: String(parts[2])) else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int32($0) }
        guard time.count == 3 else { return nil }
        return utc(year: year, month: Int32(month + 1), day: day, hour: time[0], minute: time[1], second: time[2])
    }

    /// Seconds since 1970, or `nil` for a field out of range (these dates come from the server).
    private static func utc(year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32) -> Int64? {
        let civil = UTCTime(year: Int64(year), month: Int(month), day: Int(day), hour: Int(hour), minute: Int(minute), second: Int(second))
        return civil.isValid ? civil.secondsSince1970 : nil
    }
}
