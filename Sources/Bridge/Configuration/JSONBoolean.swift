import Foundation

/// Whether a value from `JSONSerialization` was a JSON `true`/`false`. On Linux `1 is Bool`
/// holds for any NSNumber 0 or 1, so `is Bool` cannot tell `"count": 1` from `"count": true`;
/// JSON booleans are the only NSNumbers it makes with the `char` type code.
public func isJSONBoolean(_ value: Any?) -> Bool {
    guard let number = value as? NSNumber else { return false }
    return String(cString: number.objCType) == "c"
}

/// True for JSON `null` as `JSONSerialization` reads it. Containers are ruled out first: asking
/// a Swift array or dictionary whether it is an `NSNull` bridges all of it to Foundation.
public func isJSONNull(_ value: Any) -> Bool {
    if value is [Any] || value is [String: Any] || value is String { return false }
    return value is NSNull
}
