import ObjectStore
import TakeArchive
import TakevaultCore

/// The S3 lifecycle configuration equivalent to the retention policy: a backstop that expires
/// what the sweep should already have deleted, should the sweep stop running.
///
/// Never the only deletion path (the sweep decides and audits every deletion): each rule expires
/// objects `marginDays` after the sweep would have, so while the sweep runs the rules never act.
/// Rules match the tags every object carries — `tier`, `kind` (chunks and manifests only; owner
/// keys are never expired by age) and `held=no`, so held and restricted data is never touched.
/// S3 ages an object from its last write; takevault renews objects whose window starts anew
/// (tier changes, chunks shared by a newer take), so the age S3 sees never exceeds the window.
public struct LifecycleBackstop: Sendable, Encodable {
    public struct Rule: Sendable, Encodable {
        public var id: String
        public var prefix: String
        /// Tags an object must all carry for the rule to apply.
        public var tags: [String: String]
        public var expirationDays: Int?
        public var abortIncompleteUploadsAfterDays: Int?

        enum CodingKeys: String, CodingKey {
            case id, prefix, tags, expirationDays = "expiration_days", abortIncompleteUploadsAfterDays = "abort_incomplete_uploads_after_days"
        }
    }

    public var rules: [Rule]

    /// Default margin: a week past the sweep's date.
    public static let defaultMarginDays = 7

    /// The rules for `vault`'s retention policy and store.
    public init(vault: Vault, marginDays: Int = defaultMarginDays) {
        self.init(policy: vault.settings.retention, keyPrefix: vault.store.keyPrefix, marginDays: marginDays)
    }

    public init(policy: RetentionPolicy, keyPrefix: String, marginDays: Int = defaultMarginDays) {
        var rules: [Rule] = []
        let root = keyPrefix + ObjectNames.root
        for tier in Tier.allCases {
            guard let days = policy.days(for: tier) else { continue }
            for kind in [ObjectKind.manifest, .chunk] {
                rules.append(Rule(id: "takevault-backstop-\(tier.rawValue)-\(kind.rawValue)s", prefix: root,
                                  tags: ["tier": tier.rawValue, "kind": kind.rawValue, "held": "no"], expirationDays: days + marginDays))
            }
        }
        // Parts of uploads a crash left open; the sweep aborts them after the orphan grace period.
        let graceDays = (policy.orphanGraceHours + 23) / 24
        rules.append(Rule(id: "takevault-abort-incomplete-uploads", prefix: root, tags: [:], expirationDays: nil,
                          abortIncompleteUploadsAfterDays: graceDays + marginDays))
        self.rules = rules
    }

    /// The `LifecycleConfiguration` document PutBucketLifecycleConfiguration takes.
    public var xml: String {
        func escape(_ text: String) -> String {
            text.replacing("&", with: "&amp;").replacing("<", with: "&lt;").replacing(">", with: "&gt;")
        }
        var lines = [#"<?xml version="1.0" encoding="UTF-8"?>"#, #"<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#]
        for rule in rules {
            lines.append("  <Rule>")
            lines.append("    <ID>\(escape(rule.id))</ID>")
            lines.append("    <Status>Enabled</Status>")
            if rule.tags.isEmpty {
                lines.append("    <Filter><Prefix>\(escape(rule.prefix))</Prefix></Filter>")
            } else {
                lines.append("    <Filter>")
                lines.append("      <And>")
                lines.append("        <Prefix>\(escape(rule.prefix))</Prefix>")
                for (key, value) in rule.tags.sorted(by: { $0.key < $1.key }) {
                    lines.append("        <Tag><Key>\(escape(key))</Key><Value>\(escape(value))</Value></Tag>")
                }
                lines.append("      </And>")
                lines.append("    </Filter>")
            }
            if let days = rule.expirationDays { lines.append("    <Expiration><Days>\(days)</Days></Expiration>") }
            if let days = rule.abortIncompleteUploadsAfterDays {
                lines.append("    <AbortIncompleteMultipartUpload><DaysAfterInitiation>\(days)</DaysAfterInitiation></AbortIncompleteMultipartUpload>")
            }
            lines.append("  </Rule>")
        }
        lines.append("</LifecycleConfiguration>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The same rules in the JSON form `aws s3api put-bucket-lifecycle-configuration
    /// --lifecycle-configuration file://…` takes.
    public var awsCLIJSON: JSONValue {
        .object(["Rules": .array(rules.map { rule in
            var object: [String: JSONValue] = ["ID": .string(rule.id), "Status": .string("Enabled")]
            if rule.tags.isEmpty {
                object["Filter"] = .object(["Prefix": .string(rule.prefix)])
            } else {
                let tags = rule.tags.sorted { $0.key < $1.key }.map { JSONValue.object(["Key": .string($0.key), "Value": .string($0.value)]) }
                object["Filter"] = .object(["And": .object(["Prefix": .string(rule.prefix), "Tags": .array(tags)])])
            }
            if let days = rule.expirationDays { object["Expiration"] = .object(["Days": .number(Double(days))]) }
            if let days = rule.abortIncompleteUploadsAfterDays {
                object["AbortIncompleteMultipartUpload"] = .object(["DaysAfterInitiation": .number(Double(days))])
            }
            return .object(object)
        })])
    }
}
