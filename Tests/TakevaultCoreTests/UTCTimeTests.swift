import TakevaultCore
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// UTCTime's arithmetic against the C library's `gmtime_r` and `timegm` (the reference it
/// replaces), over instants from 1600 to 2400, every day boundary and leap day included.
@Suite("UTC civil time")
struct UTCTimeTests {
    static func reference(_ seconds: Int64) -> UTCTime {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return UTCTime(year: Int64(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
                       hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
    }

    @Test("seconds → civil → seconds agrees with gmtime_r and timegm")
    func agreesWithLibc() {
        var generator = SplitMix64(seed: 1970)
        let span: ClosedRange<Int64> = -11_676_096_000...13_569_465_600    // 1600-01-01 … 2400-01-01
        var instants: [Int64] = [0, -1, 86_399, 86_400, -86_400, 951_782_400, 951_868_800, 4_107_542_400, 4_107_628_800]  // 2000-02-29, 2100-03-01
        for _ in 0..<20_000 { instants.append(Int64.random(in: span, using: &generator)) }
        for seconds in instants {
            let civil = UTCTime(secondsSince1970: seconds)
            #expect(civil == Self.reference(seconds), "\(seconds)")
            #expect(civil.secondsSince1970 == seconds)
            #expect(civil.isValid)
            var parts = tm()
            parts.tm_year = Int32(civil.year - 1900)
            parts.tm_mon = Int32(civil.month - 1)
            parts.tm_mday = Int32(civil.day)
            parts.tm_hour = Int32(civil.hour)
            parts.tm_min = Int32(civil.minute)
            parts.tm_sec = Int32(civil.second)
            #expect(Int64(timegm(&parts)) == seconds)
        }
    }

    @Test("formats: ISO 8601 and the basic form, zero-padded")
    func formats() {
        let time = UTCTime(secondsSince1970: 1_796_000_000)
        #expect(time.iso8601 == "2026-11-30T00:53:20Z")
        #expect(time.basicFormat == "20261130T005320Z")
        #expect(UTCTime(year: 987, month: 1, day: 2, hour: 3, minute: 4, second: 5).iso8601 == "0987-01-02T03:04:05Z")
    }

    @Test("days a month does not have are invalid, leap years by the Gregorian rule")
    func validity() {
        #expect(UTCTime(year: 2024, month: 2, day: 29).isValid)
        #expect(!UTCTime(year: 2023, month: 2, day: 29).isValid)
        #expect(!UTCTime(year: 2100, month: 2, day: 29).isValid)
        #expect(UTCTime(year: 2000, month: 2, day: 29).isValid)
        #expect(!UTCTime(year: 2026, month: 4, day: 31).isValid)
        #expect(!UTCTime(year: 2026, month: 13, day: 1).isValid)
        #expect(!UTCTime(year: 2026, month: 1, day: 0).isValid)
        #expect(!UTCTime(year: 2026, month: 1, day: 1, hour: 24).isValid)
    }
}
