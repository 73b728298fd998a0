/// Standard base64 (RFC 4648 §4), always padded.
public enum Base64 {
    /// `bytes` in the standard alphabet with `=` padding.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Base64Alphabet.standard.encode(bytes, padded: true)
    }

    /// The bytes spelled by `string`, or `nil` unless it is canonical padded standard base64 with
    /// no whitespace.
    public static func decode(_ string: String) -> [UInt8]? {
        Base64Alphabet.standard.decode(string, padding: .required)
    }
}
