//! The PKCS#12 password: from `OWA_IM_MIGRATE_PFX_PASSWORD`, or asked once on the terminal.
//! Never from the command line (it would land in shell history and process lists) and never
//! written anywhere.

use std::io::IsTerminal;

pub const ENV_VAR: &str = "OWA_IM_MIGRATE_PFX_PASSWORD";

/// Asks at most once, and only when a PKCS#12 file actually needs it.
#[derive(Debug, Default)]
pub struct Passwords {
    known: Option<Vec<String>>,
}

impl Passwords {
    /// The passwords to try: the environment's, else the one typed at the prompt (when stdin
    /// is a terminal), else none. `bar`, a progress bar drawn on the same terminal, is hidden
    /// while the prompt waits.
    pub fn get(&mut self, file: &str, bar: Option<&indicatif::ProgressBar>) -> &[String] {
        self.known.get_or_insert_with(|| {
            if let Ok(password) = std::env::var(ENV_VAR) {
                return vec![password];
            }
            if !std::io::stdin().is_terminal() {
                return Vec::new();
            }
            let prompt = format!("Password for the PKCS#12 files (first: {file}): ");
            let ask = || {
                rpassword::prompt_password(prompt)
                    .map(|p| vec![p])
                    .unwrap_or_default()
            };
            match bar {
                Some(bar) => bar.suspend(ask),
                None => ask(),
            }
        })
    }
}
