import CLibCrypto

/// AES-256-GCM over a whole chunk, through OpenSSL's libcrypto, reading and writing the caller's
/// buffers (no intermediate copies). Used for chunks only, where throughput matters; keys, wrapping
/// and manifests use swift-crypto. Both are standard AES-256-GCM (the format vectors check it).
enum ChunkCipher {
    /// Encrypts `plaintext` into `ciphertext` (same length) and writes the 16-byte tag into `tag`.
    static func seal(
        key: UnsafeRawBufferPointer, nonce: [UInt8], associatedData: [UInt8], plaintext: UnsafeRawBufferPointer,
        ciphertext: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer
    ) throws {
        precondition(key.count == 32 && nonce.count == 12 && ciphertext.count >= plaintext.count && tag.count >= 16)
        guard let context = EVP_CIPHER_CTX_new() else { throw ChunkCipherError.failed }
        defer { EVP_CIPHER_CTX_free(context) }
        var length: Int32 = 0
        let ok = EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1
            && takevault_gcm_set_iv_length(context, 12) == 1
            && nonce.withUnsafeBufferPointer { EVP_EncryptInit_ex(context, nil, nil, key.bindMemory(to: UInt8.self).baseAddress, $0.baseAddress) } == 1
            && associatedData.withUnsafeBufferPointer { EVP_EncryptUpdate(context, nil, &length, $0.baseAddress, Int32($0.count)) } == 1
            && encryptAll(context, plaintext, into: ciphertext)
            && withScratch(ciphertext, offset: plaintext.count) { EVP_EncryptFinal_ex(context, $0, &length) } == 1
            && takevault_gcm_get_tag(context, tag.bindMemory(to: UInt8.self).baseAddress) == 1
        guard ok else { throw ChunkCipherError.failed }
    }

    /// Decrypts and authenticates; throws ``ChunkCipherError/authenticationFailed`` when the tag
    /// does not match (and leaves `plaintext` to be discarded).
    static func open(
        key: UnsafeRawBufferPointer, nonce: [UInt8], associatedData: [UInt8], ciphertext: UnsafeRawBufferPointer,
        tag: UnsafeRawBufferPointer, plaintext: UnsafeMutableRawBufferPointer
    ) throws {
        precondition(key.count == 32 && nonce.count == 12 && plaintext.count >= ciphertext.count && tag.count == 16)
        guard let context = EVP_CIPHER_CTX_new() else { throw ChunkCipherError.failed }
        defer { EVP_CIPHER_CTX_free(context) }
        var length: Int32 = 0
        let ready = EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1
            && takevault_gcm_set_iv_length(context, 12) == 1
            && nonce.withUnsafeBufferPointer { EVP_DecryptInit_ex(context, nil, nil, key.bindMemory(to: UInt8.self).baseAddress, $0.baseAddress) } == 1
            && associatedData.withUnsafeBufferPointer { EVP_DecryptUpdate(context, nil, &length, $0.baseAddress, Int32($0.count)) } == 1
            && decryptAll(context, ciphertext, into: plaintext)
            && takevault_gcm_set_tag(context, tag.bindMemory(to: UInt8.self).baseAddress) == 1
        guard ready else { throw ChunkCipherError.failed }
        guard withScratch(plaintext, offset: ciphertext.count, { EVP_DecryptFinal_ex(context, $0, &length) }) == 1 else {
            throw ChunkCipherError.authenticationFailed
        }
    }

    /// GCM's final call writes nothing, but wants a pointer: past the data, or a scratch byte when
    /// the buffer is empty.
    private static func withScratch(_ buffer: UnsafeMutableRawBufferPointer, offset: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int32) -> Int32 {
        if let base = buffer.baseAddress { return body(base.assumingMemoryBound(to: UInt8.self) + offset) }
        var scratch: UInt8 = 0
        return body(&scratch)
    }

    /// EVP takes `int` lengths: feed at most 1 GiB a call.
    private static func encryptAll(_ context: OpaquePointer, _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        var offset = 0
        while offset < input.count {
            let count = min(1 << 30, input.count - offset)
            var written: Int32 = 0
            guard EVP_EncryptUpdate(context, output.bindMemory(to: UInt8.self).baseAddress! + offset, &written,
                                    input.bindMemory(to: UInt8.self).baseAddress! + offset, Int32(count)) == 1 else { return false }
            offset += count
        }
        return true
    }

    private static func decryptAll(_ context: OpaquePointer, _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Bool {
        var offset = 0
        while offset < input.count {
            let count = min(1 << 30, input.count - offset)
            var written: Int32 = 0
            guard EVP_DecryptUpdate(context, output.bindMemory(to: UInt8.self).baseAddress! + offset, &written,
                                    input.bindMemory(to: UInt8.self).baseAddress! + offset, Int32(count)) == 1 else { return false }
            offset += count
        }
        return true
    }
}

enum ChunkCipherError: Error {
    case failed
    case authenticationFailed
}
