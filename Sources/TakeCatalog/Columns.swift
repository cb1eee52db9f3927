import GRDB

// The catalog's columns, named once per record from its coding keys: queries say
// `TakeRecord.Columns.ownerID`, never a column name in a string.

extension OwnerRecord {
    /// The columns queries filter and order by.
    public enum Columns {
        public static let id = Column(CodingKeys.id)
    }
}

extension OwnerKeyRecord {
    /// The columns queries filter and order by.
    public enum Columns {
        public static let ownerID = Column(CodingKeys.ownerID)
        public static let version = Column(CodingKeys.version)
    }
}

extension TakeRecord {
    /// The columns queries filter and order by.
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let ingestedAt = Column(CodingKeys.ingestedAt)
        public static let ownerID = Column(CodingKeys.ownerID)
        public static let retainUntil = Column(CodingKeys.retainUntil)
        public static let sessionID = Column(CodingKeys.sessionID)
    }
}

extension TakeObjectRecord {
    /// The columns queries filter and order by.
    public enum Columns {
        public static let takeID = Column(CodingKeys.takeID)
    }
}

extension EventRecord {
    /// The columns queries filter and order by.
    public enum Columns {
        public static let at = Column(CodingKeys.at)
        public static let id = Column(CodingKeys.id)
        public static let ownerID = Column(CodingKeys.ownerID)
        public static let kind = Column(CodingKeys.kind)
    }
}

extension JobRecord {
    /// The columns queries filter and order by.
    public enum Columns {
        public static let callbackState = Column(CodingKeys.callbackState)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let id = Column(CodingKeys.id)
        public static let idempotencyKey = Column(CodingKeys.idempotencyKey)
        public static let kind = Column(CodingKeys.kind)
        public static let leaseExpiresAt = Column(CodingKeys.leaseExpiresAt)
        public static let leaseNode = Column(CodingKeys.leaseNode)
        public static let notBefore = Column(CodingKeys.notBefore)
        public static let ownerID = Column(CodingKeys.ownerID)
        public static let relayKeyID = Column(CodingKeys.relayKeyID)
        public static let state = Column(CodingKeys.state)
        public static let updatedAt = Column(CodingKeys.updatedAt)
    }
}

extension HoldRecord {
    /// The columns queries filter and order by.
    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let liftedAt = Column(CodingKeys.liftedAt)
        public static let ownerID = Column(CodingKeys.ownerID)
        public static let setAt = Column(CodingKeys.setAt)
    }
}

extension TombstoneRecord {
    /// The columns queries filter and order by.
    public enum Columns {
        public static let at = Column(CodingKeys.at)
    }
}

extension TierChangeRecord {
    /// The columns queries filter and order by.
    public enum Columns {
        public static let at = Column(CodingKeys.at)
        public static let id = Column(CodingKeys.id)
        public static let ownerID = Column(CodingKeys.ownerID)
    }
}
