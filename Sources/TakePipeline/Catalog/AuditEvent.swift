import TakeCatalog
import TakevaultCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Every audit event takevault records, with its details.
///
/// The catalog keeps `kind` and `detail` as text (`events`); this type is the one place both are
/// made. Details are encoded by `JSONEncoder` with sorted keys, never by string interpolation, so
/// every value — an operator's name, a reason, an object name — is escaped the same way, and the
/// same event always reads the same. Details never carry personal data beyond the owner and take
/// ids the event row already names (erasure strips those).
enum AuditEvent: Equatable, Sendable {
    /// A take entered the catalog: ingested, found committed by a retried ingest, or reprocessed.
    case ingest(manifest: String)
    case catalogCompleted(manifest: String)
    case reprocess(manifest: String)
    /// An upload went to quarantine.
    case quarantine(code: String, uploadSHA256: String)
    case tierChange(tier: Tier, takes: Int)
    /// A take whose window had ended was uploaded again: its retention starts anew.
    case retentionRestarted(retainUntil: String?)
    case hold(id: String, by: String)
    case holdLifted(id: String, by: String)
    case restriction
    case restrictionLifted
    /// An owner erased; only the anonymous tombstone's id is kept.
    case erasure(tombstone: String)
    case export(takes: Int, withAudio: Bool)
    /// An operator wrote a relay job's held upload (staged or spooled) out of the vault, in the clear.
    case uploadExported(job: String, by: String)
    /// A take deleted (its manifest, then the chunks no other manifest needs).
    case deleteTake(reason: String)
    /// Takes deleted at someone's request (`takevault delete`, `DELETE /v1/…`): who asked and how
    /// many; the event row names the owner and the take, nothing of what the take held.
    case deletionRequested(by: String, takes: Int)
    /// A take's metadata corrected: which fields and who asked — neither the old values nor the new.
    case amend(fields: [String], by: String)
    /// Anything else a sweep deleted: `kind` is the sweep item's kind (`orphan_chunk`, `tombstone`, …).
    case sweepDeletion(kind: Sweep.Item.Kind, id: String, reason: String)
    /// Deletions a sweep records by number only, because their names would identify an erased owner.
    case sweepDeletionCount(kind: Sweep.Item.Kind, count: Int, reason: String)
    case sweep(asOf: String, deleted: Int, bytesFreed: Int64)
    case retireGenerations([Int])
    case catalogRebuild(owners: Int, takes: Int)
    case keyRotation(masterKeyID: String, rewrapped: Int)

    /// The event's kind as the catalog stores it (snake_case, stable).
    /// The kind of ``deleteTake(reason:)`` events: a take deleted, by request or by retention.
    static let deleteTakeKind = "delete_take"

    /// `owner`'s takes the catalog last recorded as deleted (no ingest since): any of their objects
    /// in the store were put back from an earlier copy, or are what a deletion left unfinished.
    static func deletedTakes(owner: String, in catalog: any Catalog) async throws -> Set<String> {
        try await catalog.takes(owner: owner, whoseLatestOf: [deleteTakeKind, "ingest", "catalog_completed"], isOneOf: [deleteTakeKind])
    }

    var kind: String {
        switch self {
        case .ingest: "ingest"
        case .catalogCompleted: "catalog_completed"
        case .reprocess: "reprocess"
        case .quarantine: "quarantine"
        case .tierChange: "tier_change"
        case .retentionRestarted: "retention_restarted"
        case .hold: "hold"
        case .holdLifted: "hold_lifted"
        case .restriction: "restriction"
        case .restrictionLifted: "restriction_lifted"
        case .erasure: "erasure"
        case .export: "export"
        case .uploadExported: "upload_exported"
        case .deleteTake: Self.deleteTakeKind
        case .deletionRequested: "deletion_requested"
        case .amend: "amend"
        case .sweepDeletion(let kind, _, _), .sweepDeletionCount(let kind, _, _): "delete_" + kind.rawValue
        case .sweep: "sweep"
        case .retireGenerations: "retire_generations"
        case .catalogRebuild: "catalog_rebuild"
        case .keyRotation: "key_rotation"
        }
    }

    /// The details, as a JSON object.
    var detail: [String: JSONValue] {
        switch self {
        case .ingest(let manifest), .catalogCompleted(let manifest), .reprocess(let manifest):
            ["manifest": .string(manifest)]
        case .quarantine(let code, let sha256):
            ["code": .string(code), "upload_sha256": .string(sha256)]
        case .tierChange(let tier, let takes):
            ["tier": .string(tier.rawValue), "takes": .number(Double(takes))]
        case .retentionRestarted(let retainUntil):
            ["retain_until": retainUntil.map(JSONValue.string) ?? .null]
        case .hold(let id, let by), .holdLifted(let id, let by):
            ["hold": .string(id), "by": .string(by)]
        case .restriction, .restrictionLifted:
            [:]
        case .erasure(let tombstone):
            ["tombstone": .string(tombstone)]
        case .export(let takes, let withAudio):
            ["takes": .number(Double(takes)), "with_audio": .bool(withAudio)]
        case .uploadExported(let job, let by):
            ["job": .string(job), "by": .string(by)]
        case .deleteTake(let reason):
            ["reason": .string(reason)]
        case .deletionRequested(let by, let takes):
            ["by": .string(by), "takes": .number(Double(takes))]
        case .amend(let fields, let by):
            ["fields": .array(fields.map(JSONValue.string)), "by": .string(by)]
        case .sweepDeletion(_, let id, let reason):
            ["id": .string(id), "reason": .string(reason)]
        case .sweepDeletionCount(_, let count, let reason):
            ["count": .number(Double(count)), "reason": .string(reason)]
        case .sweep(let asOf, let deleted, let bytesFreed):
            ["as_of": .string(asOf), "deleted": .number(Double(deleted)), "bytes_freed": .number(Double(bytesFreed))]
        case .retireGenerations(let generations):
            ["generations": .array(generations.sorted().map { .number(Double($0)) })]
        case .catalogRebuild(let owners, let takes):
            ["owners": .number(Double(owners)), "takes": .number(Double(takes))]
        case .keyRotation(let masterKeyID, let rewrapped):
            ["master_key_id": .string(masterKeyID), "rewrapped": .number(Double(rewrapped))]
        }
    }

    /// The catalog row for this event, recorded `at`, about `owner` and `take` when it concerns them.
    func record(at: String, owner: String? = nil, take: String? = nil) throws -> EventRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let detail = String(decoding: try encoder.encode(JSONValue.object(detail)), as: UTF8.self)
        return EventRecord(at: at, kind: kind, ownerID: owner, takeID: take, detail: detail)
    }
}
