import Testing
@testable import Signing
