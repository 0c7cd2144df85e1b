from wiremock.base.base_resource import RestClient as RestClient
