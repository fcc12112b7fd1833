import CNNG

/// Builds the nng TLS configuration object for one dialer or listener (mutual TLS, auth required).
enum TLSConfiguration {
    /// Returns a config holding one reference; the caller frees it after handing it to an endpoint.
    static func make(_ settings: TLSSettings, server: Bool, serverName: String?) throws(TransportError) -> OpaquePointer {
        try TLSEngine.select(settings.engine)  // nng binds the process's engine to the configuration now
        var config: OpaquePointer?
        let rv = nng_tls_config_alloc(&config, server ? NNG_TLS_MODE_SERVER : NNG_TLS_MODE_CLIENT)
        guard rv == 0, let config else {
            throw .tlsConfiguration("cannot allocate a TLS configuration: \(TransportError.text(rv))")
        }
        do throws(TransportError) {
            try check(nng_tls_config_auth_mode(config, NNG_TLS_AUTH_MODE_REQUIRED), "cannot require peer authentication")
            try check(nng_tls_config_ca_file(config, settings.caFile), "cannot load CA file '\(settings.caFile)'")
            try check(nng_tls_config_cert_key_file(config, settings.certKeyFile, nil),
                      "cannot load certificate+key PEM '\(settings.certKeyFile)'")
            if !server {
                guard let serverName, !serverName.isEmpty else {
                    throw TransportError.tlsConfiguration("no server name to verify the server certificate against")
                }
                try check(nng_tls_config_server_name(config, serverName), "cannot set server name '\(serverName)'")
            }
        } catch {
            nng_tls_config_free(config)
            throw error
        }
        return config
    }

    private static func check(_ rv: Int32, _ what: String) throws(TransportError) {
        if rv != 0 { throw .tlsConfiguration("\(what): \(TransportError.text(rv))") }
    }
}
