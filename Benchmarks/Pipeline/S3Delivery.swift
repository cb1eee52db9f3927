import AsyncHTTPClient
import ObjectStore
import RelayAPI
import TakeArchive
import TakePipeline
import TakevaultCore

#if canImport(Glibc)
import Glibc
#endif

/// Serving a master through the relay from an S3 store (SeaweedFS on loopback) against
/// `aws s3 cp` downloading the same sealed bytes from the same server: the master's sealed chunk
/// objects, concatenated into one object, so the anchor moves exactly what the relay reads (it
/// then opens, checks and sends every chunk on top). Two anchors: the `aws s3 cp` command, whose
/// Python start-up (about a second here) outweighs moving a 5-minute master; and the transfer
/// engine it runs (s3transfer through boto3, 8 MiB parts, 10 at a time) timed inside one process
/// by scripts/s3-download-timing.py, fsync'd as `takevault fetch` is. Alternating rounds, three
/// passes per side per round; the median rate of each side, and the median of the per-round
/// ratios against the engine, which the gate holds to the 0.8.
enum S3DeliveryBenchmark {
    typealias BenchmarkError = S3TransferBenchmark.BenchmarkError
    struct Result {
        /// The relay's serving rate: a plain client writing the body to a file (fsync'd), as the
        /// engine does — no hashing on either side.
        var serveMBps: Double
        /// `takevault fetch`'s client on top (it checks the whole artefact's SHA-256 as it writes).
        var fetchMBps: Double, awsMBps: Double
        /// The transfer engine of `aws s3 cp`, timed inside its process.
        var engineMBps: Double
        /// Median of the per-round ratios of the relay's serving rate to the engine's, each round
        /// pairing the two back to back: a neighbour's burst then touches both halves of a ratio,
        /// or one round.
        var engineRatio: Double
        var masterBytes: Int64, sealedBytes: Int64
    }

    static let passesPerRound = 3

    static func run(server: [String: String], take path: String, scratch: String, takevault: String, rounds: Int) async throws -> Result {
        guard let endpoint = server["TAKEVAULT_TEST_S3_ENDPOINT"], let bucket = server["TAKEVAULT_TEST_S3_BUCKET"],
              let accessKey = server["TAKEVAULT_TEST_S3_ACCESS_KEY"], let secretKey = server["TAKEVAULT_TEST_S3_SECRET_KEY"] else {
            throw BenchmarkError.tool("the TAKEVAULT_TEST_S3_* server settings")
        }
        let environment = ["TAKEVAULT_S3_ENDPOINT": endpoint, "AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey]
        let prefix = "bench-delivery-\(getpid())"
        let vaultDirectory = scratch + "/s3-delivery-vault"
        let vault = try Vault.initialize(at: vaultDirectory, environment: environment, store: "s3://\(bucket)/\(prefix)/vault")
        let take = try await Ingest(vault: vault).run(IngestRequest(path: path, owner: "bench", tier: .studio)).takeID
        guard let master = try await Inspect(vault: vault).run(take: take).body.artefact(.master) else { throw BenchmarkError.tool("no master") }

        // The anchor's object: the master's sealed chunks as stored, end to end.
        let sealedFile = scratch + "/master.sealed"
        guard let handle = fopen(sealedFile, "wb") else { throw BenchmarkError.tool("cannot write \(sealedFile)") }
        var sealedBytes: Int64 = 0
        for chunk in master.chunks {
            let object = try await vault.store.get(ObjectNames.chunk(owner: "bench", id: chunk.id))
            _ = object.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
            sealedBytes += Int64(object.count)
        }
        fclose(handle)
        let side = S3Store(configuration: try S3Configuration.from(url: "s3://\(bucket)/\(prefix)", region: "eu-west-1", environment: environment))
        try await side.upload("aws/master.sealed", fromFile: sealedFile, tags: ObjectTags(owner: "bench", tier: .studio, kind: .chunk, retainUntil: nil), createOnly: false)
        unlink(sealedFile)

        try DeliveryBenchmark.writeRelayKeys(vault: vaultDirectory)
        let (pid, url) = try DeliveryBenchmark.startServer(takevault, vault: vaultDirectory, scratch: scratch, environment: environment)
        defer {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            _ = system("rm -rf '\(vaultDirectory)' '\(scratch)/fetched' '\(scratch)/aws-copy'")
        }
        let client = RelayClient(baseURL: url, credentials: DeliveryBenchmark.relay)
        let credentials = "AWS_ACCESS_KEY_ID='\(accessKey)' AWS_SECRET_ACCESS_KEY='\(secretKey)' AWS_DEFAULT_REGION=eu-west-1 "
        let aws = credentials + "aws --endpoint-url '\(endpoint)' s3 cp --only-show-errors 's3://\(bucket)/\(prefix)/aws/master.sealed' '\(scratch)/aws-copy'"
        let engine = credentials + "python3 scripts/s3-download-timing.py '\(endpoint)' '\(bucket)' '\(prefix)/aws/master.sealed' '\(scratch)/engine-copy' \(passesPerRound)"

        let passes = passesPerRound
        var serveRates: [Double] = [], fetchRates: [Double] = [], awsRates: [Double] = [], engineRates: [Double] = [], engineRatios: [Double] = []
        func serve() async throws {
            var seconds = 0.0
            for _ in 0..<passes {
                let start = Measure.wall()
                let bytes = try await plainDownload(client, take: take, to: scratch + "/served")
                seconds += Measure.wall() - start
                guard bytes == master.bytes else { throw BenchmarkError.tool("the relay served \(bytes) of \(master.bytes) bytes") }
                unlink(scratch + "/served")
            }
            serveRates.append(Double(master.bytes) * Double(passes) / 1e6 / seconds)
        }
        func fetch() async throws {
            // Timed as the engine's passes are (scripts/s3-download-timing.py): the download and
            // its fsync, not removing the file afterwards — unlinking the freshly written 43 MB file
            // took 9–19 ms here (30 passes), 7–10 % of a pass, counted on this side alone until now.
            var seconds = 0.0
            for _ in 0..<passes {
                let start = Measure.wall()
                let got = try await client.download(take: take, artefact: "master", to: scratch + "/fetched")
                seconds += Measure.wall() - start
                guard got.sha256 == master.sha256 else { throw BenchmarkError.tool("fetch returned other bytes") }
                unlink(scratch + "/fetched")
            }
            fetchRates.append(Double(master.bytes) * Double(passes) / 1e6 / seconds)
        }
        func copy() throws {
            let start = Measure.wall()
            for _ in 0..<passes {
                guard system(aws) == 0 else { throw BenchmarkError.tool("aws s3 cp") }
                unlink(scratch + "/aws-copy")
            }
            awsRates.append(Double(sealedBytes) * Double(passes) / 1e6 / (Measure.wall() - start))
            guard let pipe = popen(engine, "r") else { throw BenchmarkError.tool("s3-download-timing.py") }
            var line = [CChar](repeating: 0, count: 4_096)
            let read = fgets(&line, Int32(line.count), pipe) != nil
            guard pclose(pipe) == 0, read else { throw BenchmarkError.tool("s3-download-timing.py") }
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let seconds = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
            guard seconds.count == passes else { throw BenchmarkError.tool("s3-download-timing.py printed \(text)") }
            engineRates.append(Double(sealedBytes) * Double(passes) / 1e6 / seconds.reduce(0, +))
        }
        for round in 0..<rounds {
            if round % 2 == 0 { try await serve(); try copy(); try await fetch() } else { try await fetch(); try copy(); try await serve() }
            engineRatios.append(serveRates[round] / engineRates[round])
        }
        try await side.delete(try await side.list(prefix: "").map(\.name))
        return Result(serveMBps: Measure.median(serveRates), fetchMBps: Measure.median(fetchRates), awsMBps: Measure.median(awsRates), engineMBps: Measure.median(engineRates), engineRatio: Measure.median(engineRatios),
                      masterBytes: master.bytes, sealedBytes: sealedBytes)
    }

    /// Downloads the master through the relay as the engine downloads its object: the signed GET,
    /// the body written to a file as it arrives (writeback started as it goes, as takevault's own
    /// client does), fsync'd; nothing hashed. Returns the bytes written.
    static func plainDownload(_ client: RelayClient, take: String, to path: String) async throws -> Int64 {
        let request = RelayClient.Request(method: .GET, path: "/v1/takes/\(take)/artefacts/master")
        var outgoing = HTTPClientRequest(url: client.baseURL + request.path)
        for (name, value) in client.headers(for: request) { outgoing.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(outgoing, timeout: .minutes(5))
        guard response.status == .ok else { throw BenchmarkError.tool("the relay answered \(response.status)") }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw BenchmarkError.tool("cannot write \(path)") }
        defer { close(descriptor) }
        var written: Int64 = 0
        var writeback = WritebackPacer(descriptor: descriptor)
        for try await buffer in response.body {
            try buffer.withUnsafeReadableBytes { try SystemIO.writeAll(descriptor, $0) }
            written += Int64(buffer.readableBytes)
            writeback.wrote(upTo: written)
        }
        try SystemIO.sync(descriptor)
        return written
    }
}
