use std::collections::HashMap;

use super::connection_string::{DEV_ACCOUNT_KEY, DEV_BLOB_ENDPOINT};
use super::*;

/// Parses like `Config::from_lookup` does: empty values count as unset.
fn storage(vars: &[(&str, &str)]) -> Result<StorageConfig, ConfigError> {
    let vars: HashMap<&str, &str> = vars.iter().copied().collect();
    let get = |name: &str| {
        vars.get(name)
            .map(|v| (*v).to_owned())
            .filter(|v| !v.trim().is_empty())
    };
    StorageConfig::from_lookup(&get, &Platform::from_lookup(&get)?)
}

fn azure(vars: &[(&str, &str)]) -> AzureStorage {
    match storage(vars).unwrap() {
        StorageConfig::Azure(azure) => azure,
        other => panic!("expected Azure, got {other:?}"),
    }
}

const KEY: &str = "c2VjcmV0LWtleS1ieXRlcy1mb3ItdGVzdHM=";

#[test]
fn nothing_configured_is_the_local_snippets_directory() {
    assert_eq!(
        storage(&[]).unwrap(),
        StorageConfig::Local {
            dir: PathBuf::from(".snippets")
        }
    );
    assert_eq!(
        storage(&[("SNIPPETS_DIR", "/data/snippets")]).unwrap(),
        StorageConfig::Local {
            dir: PathBuf::from("/data/snippets")
        }
    );
}

#[test]
fn on_azure_without_storage_the_tools_get_a_configuration_error() {
    let StorageConfig::Missing { reason } = storage(&[("WEBSITE_INSTANCE_ID", "abc")]).unwrap()
    else {
        panic!("expected Missing");
    };
    assert!(reason.contains("AzureWebJobsStorage"), "{reason}");
    // An explicit directory (e.g. a mounted share) is the operator's choice.
    assert!(matches!(
        storage(&[
            ("WEBSITE_INSTANCE_ID", "abc"),
            ("SNIPPETS_DIR", "/mnt/share")
        ])
        .unwrap(),
        StorageConfig::Local { .. }
    ));
}

#[test]
fn use_development_storage_is_azurite_on_port_10000() {
    let azure = azure(&[("AzureWebJobsStorage", "UseDevelopmentStorage=true")]);
    assert_eq!(azure.endpoint, DEV_BLOB_ENDPOINT);
    assert_eq!(azure.account, "devstoreaccount1");
    assert_eq!(azure.container, "snippets");
    assert_eq!(
        azure.credential,
        AzureCredentials::AccessKey(Secret::new(DEV_ACCOUNT_KEY))
    );
    // Keys and the value `true` are case-insensitive; spaces around pairs are ignored.
    assert_eq!(
        azure,
        self::azure(&[("AzureWebJobsStorage", " usedevelopmentstorage = TRUE ; ")])
    );
}

#[test]
fn a_full_connection_string_with_blob_endpoint_keeps_its_path() {
    for endpoint in [
        "http://127.0.0.1:10000/devstoreaccount1",
        "http://127.0.0.1:10000/devstoreaccount1/",
    ] {
        let cs = format!(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DEV_ACCOUNT_KEY};BlobEndpoint={endpoint};"
        );
        let azure = azure(&[("AzureWebJobsStorage", &cs)]);
        assert_eq!(azure.endpoint, DEV_BLOB_ENDPOINT, "{endpoint}");
        assert_eq!(azure.account, "devstoreaccount1");
        // The key ends in "==": only the first '=' splits a pair.
        assert_eq!(
            azure.credential,
            AzureCredentials::AccessKey(Secret::new(DEV_ACCOUNT_KEY))
        );
    }
}

#[test]
fn without_blob_endpoint_the_url_comes_from_protocol_account_and_suffix() {
    let cs = format!("accountname=myacct;ACCOUNTKEY={KEY};EndpointSuffix=core.chinacloudapi.cn");
    let azure = azure(&[("AzureWebJobsStorage", &cs)]);
    assert_eq!(azure.endpoint, "https://myacct.blob.core.chinacloudapi.cn");
    assert_eq!(azure.account, "myacct");

    let cs = format!("DefaultEndpointsProtocol=https;AccountName=myacct;AccountKey={KEY}");
    assert_eq!(
        self::azure(&[("AzureWebJobsStorage", &cs)]).endpoint,
        "https://myacct.blob.core.windows.net"
    );
}

#[test]
fn a_sas_connection_string_uses_the_signature() {
    let cs = "BlobEndpoint=https://myacct.blob.core.windows.net/;SharedAccessSignature=sv=2024&sig=abc%3D";
    let azure = azure(&[("AzureWebJobsStorage", cs)]);
    assert_eq!(azure.account, "myacct");
    assert_eq!(
        azure.credential,
        AzureCredentials::Sas(Secret::new("sv=2024&sig=abc%3D"))
    );
}

#[test]
fn bad_connection_strings_are_refused_without_echoing_the_key() {
    let secret = "bm90LWEtcmVhbC1rZXk-but-not-base64!";
    for cs in [
        format!("AccountName=a;AccountKey={secret}"),
        "AccountName=a".to_owned(),
        "nonsense".to_owned(),
        format!("AccountName=a;AccountKey={KEY};BlobEndpoint=ftp://x"),
        "DefaultEndpointsProtocol=https".to_owned(),
    ] {
        let err = storage(&[("AzureWebJobsStorage", &cs)]).unwrap_err();
        let message = err.to_string();
        assert_eq!(err.name, "AzureWebJobsStorage", "{message}");
        assert!(!message.contains(secret), "{message}");
        assert!(!message.contains(KEY), "{message}");
    }
    // A value that is not a pair could be a pasted key: not echoed either.
    let err = storage(&[("AzureWebJobsStorage", KEY)]).unwrap_err();
    assert!(!err.to_string().contains(KEY), "{err}");
}

#[test]
fn debug_output_never_shows_the_key() {
    let cs = format!("AccountName=myacct;AccountKey={KEY}");
    let config = storage(&[("AzureWebJobsStorage", &cs)]).unwrap();
    assert!(!format!("{config:?}").contains(KEY));
    assert!(!config.to_string().contains(KEY));
    assert_eq!(
        config.to_string(),
        "Azure Blob Storage https://myacct.blob.core.windows.net, container \"snippets\", shared key (from AzureWebJobsStorage)"
    );
}

#[test]
fn identity_based_settings_use_the_managed_identity_endpoint() {
    let azure = azure(&[
        (
            "AzureWebJobsStorage__blobServiceUri",
            "https://myacct.blob.core.windows.net/",
        ),
        ("AzureWebJobsStorage__credential", "ManagedIdentity"),
        ("AzureWebJobsStorage__clientId", "1111-2222"),
        ("IDENTITY_ENDPOINT", "http://localhost:8081/msi/token"),
    ]);
    assert_eq!(azure.endpoint, "https://myacct.blob.core.windows.net");
    assert_eq!(azure.account, "myacct");
    assert_eq!(azure.source, "AzureWebJobsStorage__blobServiceUri");
    assert_eq!(
        azure.credential,
        AzureCredentials::ManagedIdentity {
            client_id: Some("1111-2222".to_owned()),
            endpoint: Some("http://localhost:8081/msi/token".to_owned()),
        }
    );
    let by_name = self::azure(&[
        ("AzureWebJobsStorage__accountName", "myacct"),
        ("AzureWebJobsStorage__credential", "managedidentity"),
    ]);
    assert_eq!(by_name.endpoint, "https://myacct.blob.core.windows.net");
    assert_eq!(
        by_name.credential,
        AzureCredentials::ManagedIdentity {
            client_id: None,
            endpoint: None
        }
    );
}

#[test]
fn without_a_credential_setting_a_laptop_uses_the_azure_cli() {
    let laptop = azure(&[("AzureWebJobsStorage__accountName", "myacct")]);
    assert_eq!(laptop.credential, AzureCredentials::AzureCli);
    assert!(
        StorageConfig::Azure(laptop)
            .to_string()
            .contains("Azure CLI login")
    );

    let on_azure = azure(&[
        ("AzureWebJobsStorage__accountName", "myacct"),
        ("WEBSITE_INSTANCE_ID", "abc"),
    ]);
    assert!(matches!(
        on_azure.credential,
        AzureCredentials::ManagedIdentity { .. }
    ));
}

#[test]
fn invalid_identity_settings_name_the_variable() {
    for (name, value) in [
        (
            "AzureWebJobsStorage__blobServiceUri",
            "myacct.blob.core.windows.net",
        ),
        ("AzureWebJobsStorage__accountName", "my-acct!"),
    ] {
        assert_eq!(storage(&[(name, value)]).unwrap_err().name, name);
    }
    let err = storage(&[
        ("AzureWebJobsStorage__accountName", "myacct"),
        ("AzureWebJobsStorage__credential", "clientsecret"),
    ])
    .unwrap_err();
    assert_eq!(err.name, "AzureWebJobsStorage__credential");
}

#[test]
fn the_connection_string_wins_over_identity_settings_and_the_directory() {
    let azure = azure(&[
        ("AzureWebJobsStorage", "UseDevelopmentStorage=true"),
        ("AzureWebJobsStorage__accountName", "myacct"),
        ("SNIPPETS_DIR", "/tmp/x"),
    ]);
    assert_eq!(azure.endpoint, DEV_BLOB_ENDPOINT);
}

#[test]
fn the_container_name_is_checked() {
    let azure = azure(&[
        ("AzureWebJobsStorage", "UseDevelopmentStorage=true"),
        ("SNIPPETS_CONTAINER", "team-notes"),
    ]);
    assert_eq!(azure.container, "team-notes");
    for bad in ["ab", "Snippets", "a--b", "-ab", "my_snippets"] {
        let err = storage(&[("SNIPPETS_CONTAINER", bad)]).unwrap_err();
        assert_eq!(err.name, "SNIPPETS_CONTAINER", "{bad}");
    }
}
