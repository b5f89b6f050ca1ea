// Test-only TLS material (generated with openssl, valid for 100 years): a CA, a leaf it
// signed for `localhost` and 127.0.0.1, one it signed for `wrong.test`, and a self-signed
// `localhost` certificate no one trusts. Never used outside these tests.
enum TestCertificates {
    static let caCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBmzCCAUGgAwIBAgIUNscFKcZHyp97RpuXwikU8mNUcCYwCgYIKoZIzj0EAwIw
        GjEYMBYGA1UEAwwPR2F0ZXdheSBUZXN0IENBMCAXDTI2MTEyOTIwNTMzNloYDzIx
        MjYxMTA1MjA1MzM2WjAaMRgwFgYDVQQDDA9HYXRld2F5IFRlc3QgQ0EwWTATBgcq
        hkjOPQIBBggqhkjOPQMBBwNCAARJiMCidRDOOrnxViQPVWBW9efpvz5CWw5Hip3F
        kiIcatNEngxD5NR2G867/f3EUCv2zEg/+3DILGoNqnkSlRV8o2MwYTAdBgNVHQ4E
        FgQUWvvL6QfpzymuSqBZQi1HTqnWEjAwHwYDVR0jBBgwFoAUWvvL6QfpzymuSqBZ
        Qi1HTqnWEjAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZI
        zj0EAwIDSAAwRQIgSAml8lYqAvOSbQgW8HfmkCAiGewiYQQJGScMeS/69cYCIQD6
        kwgthGJo7ChjNXpE85ohsMQLen3bFNv+40BjX3ic7w==
        -----END CERTIFICATE-----
        """

    static let localhostCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBsDCCAVagAwIBAgIUCJPNbb1YT/sPOeWrcjoaWg2fXMQwCgYIKoZIzj0EAwIw
        GjEYMBYGA1UEAwwPR2F0ZXdheSBUZXN0IENBMCAXDTI2MTEyOTIwNTMzNloYDzIx
        MjYxMTA1MjA1MzM2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIB
        BggqhkjOPQMBBwNCAATgYZEM8c3KOYxz/nVfKLI9P0hSGxNtUXB5LMnXXxX95+en
        Y6KISWQTsriVH4rblHnA1OScmpz7cghrdxFUII5zo34wfDAaBgNVHREEEzARggls
        b2NhbGhvc3SHBH8AAAEwCQYDVR0TBAIwADATBgNVHSUEDDAKBggrBgEFBQcDATAd
        BgNVHQ4EFgQUp4FQs6Ucn67l32pcYXCZr6XVJT0wHwYDVR0jBBgwFoAUWvvL6Qfp
        zymuSqBZQi1HTqnWEjAwCgYIKoZIzj0EAwIDSAAwRQIgGANk9+q74Fws+Z6WR5Je
        H7L9C5Lu6xoc8oxen6C9CzYCIQD+GyVsdzJs6X3ZWgP5sat9Wmlm46qC40Lgzyb2
        +ES6iQ==
        -----END CERTIFICATE-----
        """

    static let localhostKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjW1ZTVBTiPAC63Gp
        dHiX5QW8oEligjWW0gNamogfZIWhRANCAATgYZEM8c3KOYxz/nVfKLI9P0hSGxNt
        UXB5LMnXXxX95+enY6KISWQTsriVH4rblHnA1OScmpz7cghrdxFUII5z
        -----END PRIVATE KEY-----
        """

    static let wrongHostCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBrDCCAVKgAwIBAgIUCJPNbb1YT/sPOeWrcjoaWg2fXMUwCgYIKoZIzj0EAwIw
        GjEYMBYGA1UEAwwPR2F0ZXdheSBUZXN0IENBMCAXDTI2MTEyOTIwNTMzNloYDzIx
        MjYxMTA1MjA1MzM2WjAVMRMwEQYDVQQDDAp3cm9uZy50ZXN0MFkwEwYHKoZIzj0C
        AQYIKoZIzj0DAQcDQgAEcU+yxG7AK97zSWu7g7c+ComkxaBLm2YHexKA56ChWpGR
        RRVX9RFHOXICFGpbe+S0KLKvH9MMYP4FPLdnm+798KN5MHcwFQYDVR0RBA4wDIIK
        d3JvbmcudGVzdDAJBgNVHRMEAjAAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB0GA1Ud
        DgQWBBS7LV8P/4ji6eZx0COL+2WOOs2NxjAfBgNVHSMEGDAWgBRa+8vpB+nPKa5K
        oFlCLUdOqdYSMDAKBggqhkjOPQQDAgNIADBFAiA3gLBLJUcG75zBvkZLp1JgW4oi
        Euga2+YmpmjEt/wg7QIhAJ0+ThAGIVC60T0dofWz8ij5BppBcBx8NW1lZC7gw7wK
        -----END CERTIFICATE-----
        """

    static let wrongHostKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkt/d4DEOh/p7og5i
        Adpp8e1hmOoTMxnGBe+gXaQyOjqhRANCAARxT7LEbsAr3vNJa7uDtz4KiaTFoEub
        Zgd7EoDnoKFakZFFFVf1EUc5cgIUalt75LQosq8f0wxg/gU8t2eb7v3w
        -----END PRIVATE KEY-----
        """

    static let untrustedCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBnDCCAUGgAwIBAgIURVTp0ZWFvcCqwLi9kQN5Y+ACdOcwCgYIKoZIzj0EAwIw
        FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyOTIwNTMzNloYDzIxMjYxMTA1
        MjA1MzM2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
        PQMBBwNCAATafAa4MYXjqj1ieJjN5YJRpdoRa2JLYI4Huks8YIzBoV4z90KnV9n6
        BBeW4cY+qSmMspTLFjCw3/A7uxpIUzb4o28wbTAdBgNVHQ4EFgQUCRUYO+yqBrQa
        BaB0TsBTYVNGNW0wHwYDVR0jBBgwFoAUCRUYO+yqBrQaBaB0TsBTYVNGNW0wDwYD
        VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
        zj0EAwIDSQAwRgIhAOwGZevlE8pM4VHKjAKSw6i0+x6V8+mieKsEcOFjv9bFAiEA
        ogl5fqE97KYphnkD1/ixNmjgP9yMNXcyV2aQ/lPr1u8=
        -----END CERTIFICATE-----
        """

    static let untrustedKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/5Y9pAGP+w80kZUF
        PqGXUAo/qGF/zPh4HkXEcgT5hnShRANCAATafAa4MYXjqj1ieJjN5YJRpdoRa2JL
        YI4Huks8YIzBoV4z90KnV9n6BBeW4cY+qSmMspTLFjCw3/A7uxpIUzb4
        -----END PRIVATE KEY-----
        """
}
