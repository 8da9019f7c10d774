//! COS personality: absolute binaries (raw and blocked datasets), the JCB, F$ requests.
