//! The readers of the other files an administrator hands over, beside the web.configs
//! (`config`) and the certificates (`cert`): the server map, and the values the collection
//! script recorded before the change.

pub mod collected;
pub mod corrections;
pub mod server_map;
