/// One result row: values by position or by column name.
public struct Row: Sendable, Equatable {
    /// The column names of the statement that produced the row (shared by all its rows).
    public let columns: [String]
    /// The values, in column order.
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value at a position.
    public subscript(index: Int) -> SQLValue { values[index] }

    /// The value of the named column, or `.null` when there is no such column.
    public subscript(name: String) -> SQLValue {
        guard let index = columns.firstIndex(of: name) else { return .null }
        return values[index]
    }

    /// The named column as an Int, when it holds one.
    public func int(_ name: String) -> Int? { self[name].int }
    /// The named column as an Int64, when it holds one.
    public func int64(_ name: String) -> Int64? { self[name].int64 }
    /// The named column as a Double, when it holds a number.
    public func double(_ name: String) -> Double? { self[name].double }
    /// The named column as a String, when it holds text.
    public func string(_ name: String) -> String? { self[name].string }
    /// The named column as bytes, when it holds a blob or text.
    public func bytes(_ name: String) -> [UInt8]? { self[name].bytes }
}
