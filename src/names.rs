//! Validated names: a value is checked once, where it enters, and carried typed after that.
//! Nothing reaches a template that is not one of these (or a `Thumbprint`), so a hostile
//! web.config cannot smuggle PowerShell into the change script through a name.

use std::fmt;

use serde::Serialize;

/// A Client Access server's NetBIOS name, upper-cased (`CAS01`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ServerName(String);

impl ServerName {
    /// Accepts a host label (`cas01`) or an FQDN (`cas01.contoso.com`, first label taken).
    /// Returns the name and, for an FQDN, the FQDN itself for the certificate name checks.
    pub fn parse(text: &str) -> Result<(ServerName, Option<String>), DnsNameError> {
        let text = text.trim().trim_end_matches('.');
        let (label, fqdn) = match text.split_once('.') {
            Some((label, _)) => {
                validate_dns_name(text)?;
                (label, Some(text.to_ascii_lowercase()))
            }
            None => (text, None),
        };
        validate_label(label)?;
        Ok((ServerName(label.to_ascii_uppercase()), fqdn))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The OCS 2007 R2 pool FQDN for `-InstantMessagingServerName`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PoolFqdn(String);

/// Why a pool name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// A single label such as `ocspool`.
    #[error("'{0}' is a single label, not the pool's FQDN")]
    NotFqdn(String),
    #[error("'{}' is an IP address, but OWA connects to the pool by name over TLS: use the pool's FQDN (the name in its certificate)", crate::hidden::quoted(.0, 80))]
    IpAddress(String),
    /// Not a DNS name at all.
    #[error(transparent)]
    Invalid(#[from] DnsNameError),
}

/// Why a name is not a DNS host name (RFC 1123).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsNameError {
    #[error("the name is empty")]
    Empty,
    #[error("'{}' is longer than the 253 characters DNS allows", crate::hidden::quoted(.0, 80))]
    TooLong(String),
    #[error("it has an empty label (two dots in a row, or a leading dot)")]
    EmptyLabel,
    #[error("label '{}' is longer than 63 characters", crate::hidden::quoted(.0, 80))]
    LabelTooLong(String),
    #[error("'{}' contains {}, which a DNS host name may not contain", crate::hidden::printable(.label), crate::hidden::describe_char(*.bad))]
    Character { label: String, bad: char },
    #[error("label '{0}' starts or ends with a hyphen")]
    Hyphen(String),
}

/// Why an OWA virtual directory identity is not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("identity '{text}' is not of the form {server}\\owa (Default Web Site)")]
    Form { text: String, server: ServerName },
    #[error("identity '{text}' does not start with a server name: {source}")]
    Host { text: String, source: DnsNameError },
    #[error("identity '{text}' names server {host}, but the row is for {server}")]
    OtherServer {
        text: String,
        host: ServerName,
        server: ServerName,
    },
    #[error("identity '{0}' has an empty or unprintable virtual directory name")]
    Directory(String),
}

impl PoolFqdn {
    /// Parses an `IMPoolName` value. `domain` qualifies a single label (`--domain`); the
    /// returned flag says it was used.
    pub fn parse(text: &str, domain: Option<&str>) -> Result<(PoolFqdn, bool), PoolError> {
        let name = text.trim().trim_end_matches('.');
        if name.parse::<std::net::IpAddr>().is_ok()
            || name
                .rsplit('.')
                .next()
                .is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(PoolError::IpAddress(name.to_string()));
        }
        validate_dns_name(name)?;
        if name.contains('.') {
            return Ok((PoolFqdn(name.to_string()), false));
        }
        match domain {
            Some(domain) => {
                let qualified = format!("{name}.{}", domain.trim_matches('.'));
                validate_dns_name(&qualified)?;
                Ok((PoolFqdn(qualified), true))
            }
            None => Err(PoolError::NotFqdn(name.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Pools are compared as DNS names: case does not matter.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for PoolFqdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An OWA virtual directory identity, `CAS01\owa (Default Web Site)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Identity(String);

impl Identity {
    /// The virtual directory Exchange 2010 creates on every CAS.
    pub fn default_for(server: &ServerName) -> Identity {
        Identity(format!("{server}\\owa (Default Web Site)"))
    }

    /// An identity from the server map: `SERVER\name (site)`, for this server.
    pub fn parse(text: &str, server: &ServerName) -> Result<Identity, IdentityError> {
        let text = text.trim();
        let Some((host, vdir)) = text.split_once('\\') else {
            return Err(IdentityError::Form {
                text: text.to_string(),
                server: server.clone(),
            });
        };
        let (host, _) = ServerName::parse(host).map_err(|source| IdentityError::Host {
            text: text.to_string(),
            source,
        })?;
        if &host != server {
            return Err(IdentityError::OtherServer {
                text: text.to_string(),
                host,
                server: server.clone(),
            });
        }
        let unprintable = |c: char| c.is_control() || crate::hidden::is_invisible(c);
        if vdir.trim().is_empty() || vdir.chars().any(unprintable) {
            return Err(IdentityError::Directory(text.to_string()));
        }
        Ok(Identity(format!("{server}\\{}", vdir.trim())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A DNS host name (RFC 1123): labels of letters, digits and inner hyphens, 63 characters
/// at most each, 253 in all.
pub fn validate_dns_name(name: &str) -> Result<(), DnsNameError> {
    if name.is_empty() {
        return Err(DnsNameError::Empty);
    }
    if name.len() > 253 {
        return Err(DnsNameError::TooLong(name.to_string()));
    }
    name.split('.').try_for_each(validate_label)
}

fn validate_label(label: &str) -> Result<(), DnsNameError> {
    if label.is_empty() {
        return Err(DnsNameError::EmptyLabel);
    }
    if label.len() > 63 {
        return Err(DnsNameError::LabelTooLong(label.to_string()));
    }
    if let Some(bad) = label
        .chars()
        .find(|c| !c.is_ascii_alphanumeric() && *c != '-')
    {
        return Err(DnsNameError::Character {
            label: label.to_string(),
            bad,
        });
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(DnsNameError::Hyphen(label.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each refusal is a typed error whose text says what is wrong and where.
    #[test]
    fn refusals_say_why() {
        let said = |r: Result<(), DnsNameError>| r.unwrap_err().to_string();
        assert_eq!(said(validate_dns_name("")), "the name is empty");
        assert_eq!(
            said(validate_dns_name("a..b")),
            "it has an empty label (two dots in a row, or a leading dot)"
        );
        assert_eq!(
            said(validate_dns_name("a_b.contoso.com")),
            "'a_b' contains '_', which a DNS host name may not contain"
        );
        assert_eq!(
            said(validate_dns_name("-a.contoso.com")),
            "label '-a' starts or ends with a hyphen"
        );
        let cas01 = ServerName("CAS01".into());
        let said = |text| Identity::parse(text, &cas01).unwrap_err().to_string();
        assert_eq!(
            said("owa (Default Web Site)"),
            "identity 'owa (Default Web Site)' is not of the form CAS01\\owa (Default Web Site)"
        );
        assert_eq!(
            said("CAS02\\owa (Default Web Site)"),
            "identity 'CAS02\\owa (Default Web Site)' names server CAS02, but the row is for CAS01"
        );
        assert_eq!(
            said("CAS01\\ "),
            "identity 'CAS01\\' has an empty or unprintable virtual directory name"
        );
        assert!(matches!(
            PoolFqdn::parse("10.0.0.1", None),
            Err(PoolError::IpAddress(_))
        ));
        assert!(matches!(
            PoolFqdn::parse("ocs..contoso.com", None),
            Err(PoolError::Invalid(DnsNameError::EmptyLabel))
        ));
    }

    #[test]
    fn server_names() {
        assert_eq!(
            ServerName::parse("cas01").unwrap(),
            (ServerName("CAS01".into()), None)
        );
        assert_eq!(
            ServerName::parse("CAS01.Contoso.com").unwrap(),
            (ServerName("CAS01".into()), Some("cas01.contoso.com".into()))
        );
        assert!(ServerName::parse("").is_err());
        assert!(ServerName::parse("cas 01").is_err());
        assert!(ServerName::parse("cas01'; Remove-Item").is_err());
        assert!(ServerName::parse("-cas").is_err());
    }

    #[test]
    fn pools() {
        let (pool, qualified) = PoolFqdn::parse(" naocs.contoso.com. ", None).unwrap();
        assert_eq!((pool.as_str(), qualified), ("naocs.contoso.com", false));
        assert_eq!(
            PoolFqdn::parse("ocspool", None),
            Err(PoolError::NotFqdn("ocspool".into()))
        );
        assert_eq!(
            PoolError::NotFqdn("ocspool".into()).to_string(),
            "'ocspool' is a single label, not the pool's FQDN"
        );
        let (pool, qualified) = PoolFqdn::parse("ocspool", Some("contoso.com")).unwrap();
        assert_eq!((pool.as_str(), qualified), ("ocspool.contoso.com", true));
        assert!(matches!(
            PoolFqdn::parse("ocs pool.contoso.com", None),
            Err(PoolError::Invalid(_))
        ));
        assert!(matches!(
            PoolFqdn::parse("ocs..contoso.com", None),
            Err(PoolError::Invalid(_))
        ));
        assert!(matches!(
            PoolFqdn::parse("https://ocs.contoso.com", None),
            Err(PoolError::Invalid(_))
        ));
        assert!(matches!(
            PoolFqdn::parse("ocs_pool.contoso.com", None),
            Err(PoolError::Invalid(_))
        ));
        assert!(matches!(
            PoolFqdn::parse("", None),
            Err(PoolError::Invalid(_))
        ));
    }

    #[test]
    fn identities() {
        let (server, _) = ServerName::parse("CAS01").unwrap();
        assert_eq!(
            Identity::default_for(&server).as_str(),
            "CAS01\\owa (Default Web Site)"
        );
        assert_eq!(
            Identity::parse("cas01\\owa (Intranet)", &server)
                .unwrap()
                .as_str(),
            "CAS01\\owa (Intranet)"
        );
        assert!(Identity::parse("CAS02\\owa (Default Web Site)", &server).is_err());
        assert!(Identity::parse("owa (Default Web Site)", &server).is_err());
        assert!(Identity::parse("CAS01\\", &server).is_err());
    }
}
