import RelayAPI
import TakePipeline
import TakevaultCore

#if canImport(Glibc)
import Glibc
#endif

/// Serving artefacts through the relay (`takevault serve` in its own process, the real client
/// on loopback) against `restore` writing the same artefact to a file in this process, alternating
/// rounds; then 32 concurrent range readers, counting errors and watching the server's peak RSS.
enum DeliveryBenchmark {
    typealias BenchmarkError = S3TransferBenchmark.BenchmarkError
    struct Result {
        var fetchMBps: Double, restoreMBps: Double
        var rangeRequests: Int, rangeErrors: Int, rangeMBps: Double
        var serverRSSBefore: Int64, serverRSSPeak: Int64
    }

    static let relay = RelayCredentials(keyID: "bench-relay", secret: Array("bench-relay-secret-0123456789abcdef0123456789".utf8))

    static func run(take path: String, scratch: String, takevault: String, rounds: Int) async throws -> Result {
        let vaultDirectory = scratch + "/delivery-vault"
        let vault = try Vault.initialize(at: vaultDirectory, environment: [:])
        let take = try await Ingest(vault: vault).run(IngestRequest(path: path, owner: "bench", tier: .studio)).takeID
        try writeRelayKeys(vault: vaultDirectory)
        let (pid, url) = try startServer(takevault, vault: vaultDirectory, scratch: scratch)
        defer {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            _ = system("rm -rf '\(vaultDirectory)' '\(scratch)/fetched' '\(scratch)/restored'")
        }
        let client = RelayClient(baseURL: url, credentials: relay)
        guard let master = try await Inspect(vault: vault).run(take: take).body.artefact(.master) else { throw BenchmarkError.tool("no master") }

        // Whole master: fetched through the relay vs restored to a file, alternating; median rate.
        var fetchRates: [Double] = [], restoreRates: [Double] = []
        for round in 0..<rounds {
            // Each side moves the master `passes` times per round: a single 0.2 s transfer is short
            // enough for a neighbour's burst on a shared machine to decide the figure.
            let passes = 3
            func fetch() async throws {
                let start = Measure.wall()
                var bytes: Int64 = 0
                for _ in 0..<passes {
                    let got = try await client.download(take: take, artefact: "master", to: scratch + "/fetched")
                    guard got.sha256 == master.sha256 else { throw BenchmarkError.tool("fetch returned other bytes") }
                    bytes += got.bytes
                    unlink(scratch + "/fetched")
                }
                fetchRates.append(Double(bytes) / 1e6 / (Measure.wall() - start))
            }
            func restore() async throws {
                let start = Measure.wall()
                var bytes: Int64 = 0
                for _ in 0..<passes {
                    bytes += try await Restore(vault: vault).run(take: take, artefact: .master, to: scratch + "/restored").bytes
                    unlink(scratch + "/restored")
                }
                restoreRates.append(Double(bytes) / 1e6 / (Measure.wall() - start))
            }
            if round % 2 == 0 { try await fetch(); try await restore() } else { try await restore(); try await fetch() }
        }

        // 32 readers, each 24 random ranges of up to 1 MiB (players seeking in a preview or master).
        let before = peakRSS(pid)
        let started = Measure.wall()
        let outcome = await withTaskGroup(of: (requests: Int, errors: Int, bytes: Int64).self) { group in
            for reader in 0..<32 {
                group.addTask {
                    var generator = SplitMix(seed: UInt64(reader + 1))
                    var requests = 0, errors = 0
                    var bytes: Int64 = 0
                    for request in 0..<24 {
                        let first = Int64(generator.next() % UInt64(master.bytes))
                        let last = min(master.bytes - 1, first + Int64(generator.next() % 1_048_576))
                        let file = scratch + "/range-\(reader)-\(request)"
                        requests += 1
                        do {
                            let got = try await client.download(take: take, artefact: "master", range: "bytes=\(first)-\(last)", to: file)
                            if got.bytes != last - first + 1 { errors += 1 }
                            bytes += got.bytes
                        } catch {
                            errors += 1
                        }
                        unlink(file)
                    }
                    return (requests, errors, bytes)
                }
            }
            var total = (requests: 0, errors: 0, bytes: Int64(0))
            for await part in group { total = (total.requests + part.requests, total.errors + part.errors, total.bytes + part.bytes) }
            return total
        }
        let elapsed = Measure.wall() - started
        return Result(fetchMBps: Measure.median(fetchRates), restoreMBps: Measure.median(restoreRates),
                      rangeRequests: outcome.requests, rangeErrors: outcome.errors, rangeMBps: Double(outcome.bytes) / 1e6 / elapsed,
                      serverRSSBefore: before, serverRSSPeak: peakRSS(pid))
    }

    /// Writes the vault's `relays.json`: the benchmark's relay, allowed every owner.
    static func writeRelayKeys(vault: String) throws {
        let keys = #"{"relays": [{"key_id": "\#(relay.keyID)", "secret": "\#(String(decoding: relay.secret, as: UTF8.self))", "owners": ["*"]}]}"#
        guard let keyFile = fopen(vault + "/relays.json", "w") else { throw BenchmarkError.tool("cannot write relays.json") }
        fputs(keys, keyFile)
        fclose(keyFile)
        chmod(vault + "/relays.json", 0o600)
    }

    /// Starts `takevault serve` on a free loopback port, `environment` added to its own; returns
    /// its pid and URL (from its "listening on URL" line).
    static func startServer(_ takevault: String, vault: String, scratch: String, environment: [String: String] = [:]) throws -> (pid_t, String) {
        let portFile = scratch + "/serve.out"
        unlink(portFile)
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)='\($0.value)' " }.joined()
        let command = "exec env \(assignments)'\(takevault)' serve --vault '\(vault)' --listen 127.0.0.1:0 --workers 0 > '\(portFile)' 2> '\(scratch)/serve.err'"
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", command]
        var argv = arguments.map { strdup($0) } + [nil]
        guard posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0 else { throw BenchmarkError.tool("takevault serve") }
        for pointer in argv { free(pointer) }
        for _ in 0..<600 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }) {
                return (pid, String(line.dropFirst("listening on ".count)))
            }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        throw BenchmarkError.tool("takevault serve did not start")
    }

    /// The process's peak resident set (VmHWM), bytes.
    static func peakRSS(_ pid: pid_t) -> Int64 {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int64(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1_024
    }

    /// A small deterministic generator for the readers' ranges.
    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
