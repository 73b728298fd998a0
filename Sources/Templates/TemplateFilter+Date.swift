extension TemplateFilter {
    /// `date: format`: the input as a moment, formatted with strftime directives in UTC. The input
    /// may be Unix seconds (a number or a string of digits), `"now"`/`"today"`, or an ISO 8601 or
    /// `YYYY-MM-DD HH:MM:SS` string with an optional `Z`, `UTC` or `±HH:MM` offset. Anything else
    /// is returned unchanged, as Liquid does.
    static func date(_ input: TemplateValue, format: TemplateValue) -> TemplateValue {
        guard let seconds = CivilTime.seconds(from: input) else { return input }
        return .string(CivilTime(unixSeconds: seconds).format(format.description))
    }
}
