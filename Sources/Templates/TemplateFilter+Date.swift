extension TemplateFilter {
    /// `date: format`: the input as a moment, formatted with strftime directives in UTC. The input
    /// may be Unix seconds (a number or a string of digits), `"now"`/`"today"`, an ISO 8601 or
    /// `YYYY-MM-DD HH:MM:SS` string with an optional `Z`, `UTC` or `±HH:MM` offset, or a written
    /// date such as `March 14, 2016`. Anything else, or an empty or nil format, returns the input
    /// unchanged, as Liquid does.
    static func date(_ input: TemplateValue, format: TemplateValue) -> TemplateValue {
        guard format.description != "", let seconds = CivilTime.seconds(from: input) else { return input }
        return .string(CivilTime(unixSeconds: seconds).format(format.description))
    }
}
