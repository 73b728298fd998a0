/// URL- and filename-safe base64 (RFC 4648 §5), written without padding.
public enum Base64URL {
    /// `bytes` in the URL-safe alphabet without `=` padding.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Base64Alphabet.url.encode(bytes, padded: false)
    }

    /// The bytes spelled by `string`, with or without correct `=` padding, or `nil` if it is not
    /// canonical URL-safe base64.
    public static func decode(_ string: String) -> [UInt8]? {
        Base64Alphabet.url.decode(string, padding: .optional)
    }
}
