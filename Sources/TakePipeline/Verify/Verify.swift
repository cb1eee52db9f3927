import Crypto
import ObjectStore
import TakevaultCore
import TakeArchive

/// Checks a vault against itself: key objects open, manifests authenticate, every chunk they name
/// exists with the right size — and with `readData`, opens, hashes to its id, and each artefact
/// matches its SHA-256. Also reports chunks no manifest references (left by a crash before a
/// commit; the sweep removes them after a grace period) and takes the catalog does not know.
public struct Verify: Sendable {
    public let vault: Vault

    public init(vault: Vault) { self.vault = vault }

    public struct Report: Sendable, Codable {
        public var takesChecked = 0
        public var objectsChecked = 0
        public var bytesRead: Int64 = 0
        public var failures: [Failure] = []
        /// Chunk objects no manifest references.
        public var orphans: [String] = []
        /// Takes whose manifest is in the store but not in the catalog (re-ingest or `catalog rebuild` fixes it).
        public var uncatalogued: [String] = []

        public var ok: Bool { failures.isEmpty }

        enum CodingKeys: String, CodingKey {
            case takesChecked = "takes_checked", objectsChecked = "objects_checked", bytesRead = "bytes_read", failures, orphans, uncatalogued, ok
        }

        public init() {}

        /// `ok` is not read back: it follows from `failures`.
        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            takesChecked = try container.decode(Int.self, forKey: .takesChecked)
            objectsChecked = try container.decode(Int.self, forKey: .objectsChecked)
            bytesRead = try container.decode(Int64.self, forKey: .bytesRead)
            failures = try container.decode([Failure].self, forKey: .failures)
            orphans = try container.decode([String].self, forKey: .orphans)
            uncatalogued = try container.decode([String].self, forKey: .uncatalogued)
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(takesChecked, forKey: .takesChecked)
            try container.encode(objectsChecked, forKey: .objectsChecked)
            try container.encode(bytesRead, forKey: .bytesRead)
            try container.encode(failures, forKey: .failures)
            try container.encode(orphans, forKey: .orphans)
            try container.encode(uncatalogued, forKey: .uncatalogued)
            try container.encode(ok, forKey: .ok)
        }
    }

    public struct Failure: Sendable, Codable, Equatable {
        public var object: String
        public var code: String
        public var message: String
    }

    /// Verifies `takes` (all when empty).
    public func run(takes: [String] = [], readData: Bool = false) async throws -> Report {
        var report = Report()
        let everything = try await vault.store.list(prefix: ObjectNames.root)
        var manifestsByTake: [String: [(owner: String, name: String, generation: Int)]] = [:]
        var keyObjects: [(owner: String, name: String)] = []
        var policyVersions: [String: Int] = [:]
        var chunks: [String: Int64] = [:]
        var takeKeyObjects: [String: String] = [:]   // take → its key object's name
        for info in everything {
            switch ObjectNames.parse(info.name) {
            case .manifest(let owner, let take, let generation): manifestsByTake[take, default: []].append((owner, info.name, generation))
            case .key(let owner, _): keyObjects.append((owner, info.name))
            case .chunk: chunks[info.name] = info.size
            case .takeKey(_, let take): takeKeyObjects[take] = info.name
            case .policy(let owner, let version): policyVersions[owner] = max(policyVersions[owner] ?? 0, version)
            case nil: report.failures.append(Failure(object: info.name, code: "unknown_object", message: "\(info.name): not part of the vault's layout."))
            }
        }
        let selected = takes.isEmpty ? Array(manifestsByTake.keys).sorted() : takes
        for take in takes where manifestsByTake[take] == nil {
            report.failures.append(Failure(object: take, code: "take_not_found", message: "No manifest for take \(take) in the store."))
        }

        // Keys: every key object of the owners involved must open.
        let owners = Set(selected.compactMap { manifestsByTake[$0]?.first?.owner })
        var keys: [String: [Int: OwnerKey]] = [:]
        for (owner, name) in keyObjects where takes.isEmpty || owners.contains(owner) {
            report.objectsChecked += 1
            do {
                let object = try await vault.store.get(name, atMost: OwnerKey.largestKeyObjectSize)
                let key = try vault.masterKeys.unwrap(object, owner: owner, objectName: name)
                keys[owner, default: [:]][key.version] = key
            } catch let error as ReasonCoded {
                report.failures.append(Failure(object: name, code: error.code, message: error.message))
            }
        }

        // Owners' current policy objects: each must open under its own name (FORMAT.md §8).
        for (owner, version) in policyVersions.sorted(by: { $0.key < $1.key }) where takes.isEmpty || owners.contains(owner) {
            let name = ObjectNames.policy(owner: owner, version: version)
            report.objectsChecked += 1
            do {
                let object = try await vault.store.get(name, atMost: OwnerPolicySealer.maximumSize)
                guard let key = keys[owner]?[try OwnerPolicySealer.keyVersion(object, objectName: name)] else { throw ArchiveError.authenticationFailed(object: name) }
                _ = try OwnerPolicySealer.open(object, owner: owner, version: version, key: key, objectName: name)
            } catch let error as ReasonCoded {
                report.failures.append(Failure(object: name, code: error.code, message: error.message))
            }
        }

        // A newer policy version gone while the catalog follows it: rolled back.
        for owner in try await vault.catalog.owners() where owner.policyVersion > 0 && (takes.isEmpty || owners.contains(owner.id)) {
            let newest = policyVersions[owner.id] ?? 0
            guard newest < owner.policyVersion else { continue }
            let error = PipelineError.policyRollback(owner: owner.id, stored: newest, recorded: owner.policyVersion)
            report.failures.append(Failure(object: ObjectNames.policy(owner: owner.id, version: owner.policyVersion), code: error.code, message: error.message))
        }

        var referenced = Set<String>()
        // Owners with a manifest that did not open: which chunks it names is unknown, so none of
        // theirs is called an orphan (the sweep leaves such an owner alone the same way).
        var unreadableOwners = Set<String>()
        var takeKeys: [String: TakeSealing] = [:]
        let catalogued = try await vault.catalog.takes()
        let recordedGenerations = Dictionary(catalogued.map { ($0.id, $0.generation) }, uniquingKeysWith: { a, _ in a })
        // Takes in the store the catalog last recorded as deleted: put back from an earlier copy.
        for owner in Set(manifestsByTake.values.compactMap(\.first?.owner)).sorted() where takes.isEmpty || owners.contains(owner) {
            for take in try await AuditEvent.deletedTakes(owner: owner, in: vault.catalog).sorted() where manifestsByTake[take] != nil {
                let error = PipelineError.deletedTakePresent(take: take)
                report.failures.append(Failure(object: manifestsByTake[take]?.last?.name ?? take, code: error.code, message: error.message))
            }
        }
        // Takes the catalog lists with no manifest in the store: removed behind the catalog's back,
        // or a deletion that stopped part-way (`takevault delete` finishes it).
        for record in catalogued where takes.isEmpty && manifestsByTake[record.id] == nil {
            let name = ObjectNames.manifest(owner: record.ownerID, take: record.id, generation: record.generation)
            report.failures.append(Failure(object: name, code: "manifest_missing", message:
                "Take \(record.id): the catalog lists it, the store holds no manifest of it (a deletion that stopped part-way is finished by deleting it again)."))
        }
        for take in selected {
            guard let versions = manifestsByTake[take]?.sorted(by: { $0.generation < $1.generation }) else { continue }
            report.takesChecked += 1
            if recordedGenerations[take] == nil { report.uncatalogued.append(take) }
            // A newer generation gone from the store while the catalog recorded it: rolled back
            // (a writer to the bucket removed it, or put an older one back under its name).
            if let recorded = recordedGenerations[take], let current = versions.last, current.generation < recorded {
                report.failures.append(Failure(object: current.name, code: "manifest_rollback", message:
                    "Take \(take): the store's newest manifest is generation \(current.generation), the catalog recorded generation \(recorded)."))
            }
            for (index, manifest) in versions.enumerated() {
                report.objectsChecked += 1
                do {
                    let object = try await vault.store.get(manifest.name, atMost: ManifestSealer.maximumSize)
                    let header = try ManifestSealer.readHeader(object, objectName: manifest.name)
                    let sealing: TakeSealing
                    if header.format >= ManifestSealer.takeKeyFormat {
                        if let known = takeKeys[take] {
                            sealing = known
                        } else {
                            report.objectsChecked += 1
                            // Opened with the key objects verified above, not the catalog's copies.
                            let ownerKeys = keys[manifest.owner] ?? [:]
                            sealing = try await TakeKeyStore(vault: vault).key(owner: manifest.owner, take: take) { version in
                                guard let key = ownerKeys[version] else {
                                    throw ArchiveError.authenticationFailed(object: ObjectNames.takeKey(owner: manifest.owner, take: take))
                                }
                                return key
                            }
                            takeKeys[take] = sealing
                        }
                    } else {
                        guard let key = keys[manifest.owner]?[header.keyVersion] else { throw ArchiveError.authenticationFailed(object: manifest.name) }
                        sealing = .ownerKey(key)
                    }
                    let body = try sealing.open(object, objectName: manifest.name).body
                    let isCurrent = index == versions.count - 1
                    for artefact in body.artefacts {
                        for chunk in artefact.chunks { referenced.insert(ObjectNames.chunk(owner: manifest.owner, id: chunk.id)) }
                        guard isCurrent else { continue }
                        try await check(artefact, owner: manifest.owner, sealer: sealing.chunkSealer, chunks: chunks, readData: readData, report: &report)
                    }
                } catch let error as ReasonCoded {
                    report.failures.append(Failure(object: Self.objectName(of: error) ?? manifest.name, code: error.code, message: error.message))
                    unreadableOwners.insert(manifest.owner)
                }
            }
        }
        if takes.isEmpty {
            // Chunks no manifest names, and take keys of takes without a manifest (an ingest that
            // stopped before its commit): the sweep removes both after the grace period.
            func ownerOf(_ name: String) -> String? {
                switch ObjectNames.parse(name) {
                case .chunk(let owner, _), .takeKey(let owner, _): owner
                default: nil
                }
            }
            report.orphans = (chunks.keys.filter { !referenced.contains($0) }
                + takeKeyObjects.filter { manifestsByTake[$0.key] == nil }.map(\.value))
                .filter { ownerOf($0).map { !unreadableOwners.contains($0) } ?? true }.sorted()
        }
        return report
    }

    private func check(_ artefact: Artefact, owner: String, sealer: ChunkSealer, chunks: [String: Int64], readData: Bool, report: inout Report) async throws {
        var hasher = SHA256()
        var complete = true
        for chunk in artefact.chunks {
            let name = ObjectNames.chunk(owner: owner, id: chunk.id)
            report.objectsChecked += 1
            guard let size = chunks[name] else {
                report.failures.append(Failure(object: name, code: "object_not_found", message: "\(name): missing from the store (\(artefact.kind))."))
                complete = false
                continue
            }
            guard size - Int64(ChunkSealer.overhead) == Int64(chunk.size) else {
                report.failures.append(Failure(object: name, code: "size_mismatch", message: "\(name): \(size) bytes, expected a sealed chunk of \(chunk.size) plaintext bytes (\(ChunkSealer.overhead) more)."))
                complete = false
                continue
            }
            guard readData else { continue }
            do {
                let plaintext = try sealer.open(try await vault.store.get(sealedChunk: name, plaintextSize: chunk.size), id: chunk.id, objectName: name)
                report.bytesRead += Int64(size)
                hasher.update(data: plaintext)
            } catch let error as ReasonCoded {
                report.failures.append(Failure(object: name, code: error.code, message: error.message))
                complete = false
            }
        }
        if readData, complete, Array(hasher.finalize()).hex != artefact.sha256 {
            report.failures.append(Failure(object: artefact.kind.rawValue, code: "content_mismatch", message: "the \(artefact.kind) artefact does not match its SHA-256."))
        }
    }

    static func objectName(of error: ReasonCoded) -> String? {
        switch error as? ArchiveError {
        case .authenticationFailed(let object), .malformedObject(let object, _), .contentMismatch(let object, _): object
        default: nil
        }
    }
}
