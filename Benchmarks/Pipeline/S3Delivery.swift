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
        var fetchMBps: Double, awsMBps: Double
        /// The transfer engine of `aws s3 cp`, timed inside its process.
        var engineMBps: Double
        /// Median of the per-round ratios of fetch's rate to the engine's, each round pairing the two
        /// back to back: a neighbour's burst then touches both halves of a ratio, or one round.
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
        var fetchRates: [Double] = [], awsRates: [Double] = [], engineRates: [Double] = [], engineRatios: [Double] = []
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
            if round % 2 == 0 { try await fetch(); try copy() } else { try copy(); try await fetch() }
            engineRatios.append(fetchRates[round] / engineRates[round])
        }
        try await side.delete(try await side.list(prefix: "").map(\.name))
        return Result(fetchMBps: Measure.median(fetchRates), awsMBps: Measure.median(awsRates), engineMBps: Measure.median(engineRates), engineRatio: Measure.median(engineRatios),
                      masterBytes: master.bytes, sealedBytes: sealedBytes)
    }
}
