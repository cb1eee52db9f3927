#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall and CPU clocks, and child-process peak memory.
enum Measure {
    static func wall() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }

    /// User and system CPU seconds of this process, all threads.
    static func cpu() -> (user: Double, system: Double) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6,
                Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6)
    }

    /// User and system CPU seconds of the calling thread.
    static func threadCPU() -> (user: Double, system: Double) {
        var usage = rusage()
        getrusage(1, &usage)  // RUSAGE_THREAD (a GNU extension Glibc's module leaves out)
        return (Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6,
                Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6)
    }

    /// Runs a child process to completion; returns its exit status and peak resident memory (bytes).
    static func childPeakRSS(_ executable: String, _ arguments: [String]) -> (status: Int32, peakRSS: Int64) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else { return (127, 0) }
        posix_spawn_file_actions_destroy(&actions)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        return ((status >> 8) & 0xff, Int64(usage.ru_maxrss) * 1_024)
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}

/// Writes a synthetic 48 kHz / 24-bit stereo WAV of `seconds` (chords, noise, level changes) in
/// blocks, without holding it in memory.
enum SyntheticTake {
    static func write(_ path: String, seconds: Int, rate: Int = 48_000) {
        let frames = seconds * rate
        let file = fopen(path, "wb")!
        defer { fclose(file) }
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        let dataBytes = frames * 6
        // RF64 is needed past 4 GiB; 3 hours of 48 kHz/24-bit stereo is 3.1 GB, within plain RIFF.
        let header = Array("RIFF".utf8) + le32(36 + dataBytes) + Array("WAVEfmt ".utf8) + le32(16)
            + le16(1) + le16(2) + le32(rate) + le32(rate * 6) + le16(6) + le16(24) + Array("data".utf8) + le32(dataBytes)
        fwrite(header, 1, header.count, file)
        var state: UInt32 = 0x2545_F491
        let block = 48_000
        var buffer = [UInt8](repeating: 0, count: block * 6)
        var phase = (0.0, 0.0)
        var frame = 0
        while frame < frames {
            let count = min(block, frames - frame)
            let section = 0.25 + 0.2 * sin(Double(frame) / Double(rate) / 7)
            for n in 0..<count {
                state ^= state << 13; state ^= state >> 17; state ^= state << 5
                let noise = Double(Int32(bitPattern: state)) / 2_147_483_648 * 0.02
                phase.0 += 2 * Double.pi * 220 / Double(rate)
                phase.1 += 2 * Double.pi * 277.2 / Double(rate)
                let left = Int32((section * sin(phase.0) + noise) * 8_388_607)
                let right = Int32((section * sin(phase.1) - noise) * 8_388_607)
                for (index, value) in [left, right].enumerated() {
                    let base = n * 6 + index * 3
                    buffer[base] = UInt8(truncatingIfNeeded: value)
                    buffer[base + 1] = UInt8(truncatingIfNeeded: value >> 8)
                    buffer[base + 2] = UInt8(truncatingIfNeeded: value >> 16)
                }
            }
            fwrite(buffer, 1, count * 6, file)
            frame += count
        }
    }
}
