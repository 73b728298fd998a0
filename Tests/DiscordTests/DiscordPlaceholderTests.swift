import Testing
@testable import Discord
