//! The resolver stage: certificate sources -> one index of certificates.

pub mod certificate;
pub mod clixml;
pub mod dn;
pub mod exchange_csv;
pub mod exchange_json;
pub mod export;
pub mod index;
pub mod password;
pub mod pkcs12;
pub mod pkcs7;
pub mod serial;
pub mod source;
pub mod sst;
pub mod thumbprint;

pub use certificate::{Certificate, ServerAuth};
pub use dn::{DistinguishedName, DnMatch, Issuers};
pub use index::{CertIndex, Lookup, Query};
pub use serial::Serial;
pub use thumbprint::Thumbprint;
