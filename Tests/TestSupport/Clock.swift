#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Returns once the wall clock's whole second is past `second` (seconds since 1970): store times
/// (S3's Last-Modified, file times) are whole seconds, so a test that needs a later one waits
/// this long — at most a second — and no longer. The kernel stamps files from a coarse clock that
/// may trail the precise one by a tick (1–10 ms), hence 20 ms beyond the boundary.
public func waitUntilWallClock(isPast second: Int64) async throws {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let remaining = Double(second + 1) + 0.02 - (Double(now.tv_sec) + Double(now.tv_nsec) / 1e9)
    if remaining > 0 { try await Task.sleep(for: .nanoseconds(Int64((remaining * 1e9).rounded(.up)))) }
}
