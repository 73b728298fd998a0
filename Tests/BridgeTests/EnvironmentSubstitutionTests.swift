import Testing
@testable import Bridge

@Suite struct EnvironmentSubstitutionTests {
    let environment = ["TOKEN": "fake-token", "BASE": "http://127.0.0.1:9"]

    @Test func variablesOutsideLiquidMarkupAreReplaced() throws {
        #expect(try EnvironmentSubstitution.apply("${BASE}/hook?t=${TOKEN}", environment: environment) == "http://127.0.0.1:9/hook?t=fake-token")
        #expect(try EnvironmentSubstitution.apply("price: $${TOKEN}", environment: environment) == "price: ${TOKEN}")
        #expect(throws: EnvironmentSubstitution.Missing(variable: "NOPE")) { try EnvironmentSubstitution.apply("${NOPE}", environment: environment) }
    }

    @Test func brazeVariablesInsideMarkupAreLeftForTheTemplate() throws {
        let braze = "{{api_trigger_properties.${external_system_msg_body}}} and {{${user_id}}} {% if ${x} %}y{% endif %}"
        #expect(try EnvironmentSubstitution.apply(braze, environment: environment) == braze)
        #expect(try EnvironmentSubstitution.apply("{{ settings.a }} ${TOKEN} {{${first_name}}}", environment: environment)
            == "{{ settings.a }} fake-token {{${first_name}}}")
        #expect(try EnvironmentSubstitution.apply("émoji 😀 ${TOKEN}", environment: environment) == "émoji 😀 fake-token")
    }
}
