//! Against GNU SASL's `gsasl` command (libgsasl 2.2): SCRAM-SHA-1 and SCRAM-SHA-256,
//! each bare and `-PLUS` with `tls-exporter` and `tls-unique`, plus what only gsasl
//! can show: the authorization identity (a gsasl server accepts its `--password` for
//! any user name, so the unknown user is tested at our server only).

use super::common;
use super::common::{
    Accounts, Case, PASSWORD, USER, client_failure, client_run, expected_cbind, our_client,
    peer_client, server_run, text,
};
use sasl_core::{ChannelBindingType, ClientCredentials, FailureKind};
use sasl_test::peers::{self, PeerError, PeerKind, PeerRun};
use std::fmt;

const GSASL: PeerKind = PeerKind::Gsasl;

/// The SCRAM families libgsasl implements.
const MECHS: [&str; 2] = ["SCRAM-SHA-1", "SCRAM-SHA-256"];

/// Unbound, and the two binding types gsasl prompts for.
const CB_CASES: [Option<ChannelBindingType>; 3] = [
    None,
    Some(ChannelBindingType::TlsExporter),
    Some(ChannelBindingType::TlsUnique),
];

const CB_KINDS: [ChannelBindingType; 2] = [
    ChannelBindingType::TlsExporter,
    ChannelBindingType::TlsUnique,
];

// ---- our client against the gsasl server -----------------------------------------------

/// A gsasl server refuses silently (no `e=`, no `v=`): our client learns the verdict
/// from the end of the exchange and reports it as rejected.
fn refused_silently(case: &dyn fmt::Display, run: &PeerRun) {
    assert!(
        !run.server_messages().iter().any(|m| m.starts_with(b"v=")),
        "{case}: no `v=`\n{run}"
    );
    assert_eq!(
        client_failure(run).reason().kind(),
        FailureKind::Rejected,
        "{case}\n{run}"
    );
}

#[test]
fn our_client_authenticates_to_gsasl_server() -> Result<(), PeerError> {
    common::each_case(GSASL, &MECHS, &CB_CASES, common::our_client_authenticates)
}

#[test]
fn our_client_gets_v_in_the_outcome_from_gsasl_server() -> Result<(), PeerError> {
    common::with_peer(GSASL, |gsasl| {
        let case = Case::new(
            gsasl,
            "SCRAM-SHA-256",
            Some(ChannelBindingType::TlsExporter),
            9,
        );
        common::our_client_gets_v_in_the_outcome(gsasl, &case)
    })
}

#[test]
fn our_client_with_cached_keys_skips_pbkdf2_against_gsasl_server() -> Result<(), PeerError> {
    common::each_mech(GSASL, &MECHS, |gsasl, mech| {
        let keys = common::our_client_with_cached_keys(gsasl, mech)?;
        // The keys are really what is used: against a server with another salt they
        // do not apply, and without a password our client gives up before proving.
        let peer = gsasl
            .server(mech)
            .password(PASSWORD)
            .iterations(common::ITERATIONS)
            .salt(b"another-salt-16b")
            .spawn()?;
        let client = our_client(
            mech,
            &[mech],
            ClientCredentials::new(USER).with_scram_keys(keys),
            &common::connection(None),
        );
        let other = peers::run_our_client_against(peer, client);
        assert!(other.both_failed(), "[gsasl {mech}, other salt]\n{other}");
        assert_eq!(
            other.client_messages().len(),
            1,
            "[gsasl {mech}, other salt]: no proof sent\n{other}"
        );
        assert_eq!(
            client_failure(&other).reason().kind(),
            FailureKind::InvalidCredentials,
            "[gsasl {mech}, other salt]\n{other}"
        );
        Ok(())
    })
}

#[test]
fn our_client_with_wrong_password_fails_against_gsasl_server() -> Result<(), PeerError> {
    common::each_case(GSASL, &MECHS, &CB_CASES, |gsasl, case| {
        let run = common::our_client_with_wrong_password(gsasl, case)?;
        assert_eq!(run.peer.code, Some(1), "{case}\n{run}");
        // gsasl says nothing after a bad proof (no `e=`, no `v=`): our client learns
        // the verdict from the end of the exchange.
        assert_eq!(run.server_messages().len(), 1, "{case}\n{run}");
        assert_eq!(run.client_messages().len(), 2, "{case}\n{run}");
        refused_silently(case, &run);
        Ok(())
    })
}

#[test]
fn our_client_fails_when_gsasl_server_has_other_binding_data() -> Result<(), PeerError> {
    common::with_peer(GSASL, |gsasl| {
        for kind in CB_KINDS {
            let (case, run) =
                common::our_client_with_other_binding_data(gsasl, "SCRAM-SHA-256", kind)?;
            // The server rejected the binding and said nothing more.
            refused_silently(&case, &run);
        }
        Ok(())
    })
}

#[test]
fn our_client_y_flag_is_rejected_by_gsasl_server_that_can_bind() -> Result<(), PeerError> {
    common::each_mech(GSASL, &MECHS, |gsasl, base| {
        // The gsasl server *does* have binding data, so to it `y` means someone
        // stripped `-PLUS` from the advertisement: it refuses (RFC 5802 §6), and
        // gsasl refuses silently, so our client sees the exchange end without `v=`.
        let (case, run) = common::our_client_sends_y(gsasl, base, &MECHS, true)?;
        assert!(run.both_failed(), "{case}\n{run}");
        refused_silently(&case, &run);

        // Control: the same `y` to a gsasl server that cannot bind (`--no-cb`) is fine.
        common::our_client_y_flag_to_server_that_cannot_bind(gsasl, base, &MECHS)?;
        Ok(())
    })
}

#[test]
fn our_client_authzid_is_accepted_by_gsasl_server() -> Result<(), PeerError> {
    common::with_peer(GSASL, |gsasl| {
        // A gsasl server has no authorization policy; what this shows is that it parses
        // our `a=` GS2 header and that the header is covered by `c=` as it expects.
        let cases = [
            Case::new(gsasl, "SCRAM-SHA-256", None, 4),
            Case::new(
                gsasl,
                "SCRAM-SHA-256",
                Some(ChannelBindingType::TlsExporter),
                4,
            ),
        ];
        for case in cases {
            let run = client_run(
                gsasl,
                &case.mech,
                ClientCredentials::new(USER)
                    .with_password(PASSWORD)
                    .with_authzid("admin"),
                case.cb(),
                case.cb(),
            )?;
            assert!(run.both_succeeded(), "{case}\n{run}");
            let gs2 = match case.cb {
                Some(_) => "p=tls-exporter,a=admin,",
                None => "n,a=admin,",
            };
            assert!(
                text(run.client_messages()[0]).starts_with(gs2),
                "{case}\n{run}"
            );
            assert!(
                text(run.client_messages()[1]).starts_with(&expected_cbind(gs2, case.cb())),
                "{case}\n{run}"
            );
        }
        Ok(())
    })
}

// ---- the gsasl client against our server -------------------------------------------------

#[test]
fn gsasl_client_authenticates_to_our_server() -> Result<(), PeerError> {
    common::each_case(GSASL, &MECHS, &CB_CASES, common::peer_client_authenticates)
}

#[test]
fn gsasl_client_gets_v_in_the_outcome_from_our_server() -> Result<(), PeerError> {
    common::with_peer(GSASL, |gsasl| {
        let case = Case::new(gsasl, "SCRAM-SHA-1", Some(ChannelBindingType::TlsUnique), 5);
        common::peer_client_gets_v_in_the_outcome(gsasl, &case)
    })
}

#[test]
fn gsasl_client_with_wrong_password_fails_at_our_server() -> Result<(), PeerError> {
    common::each_case(
        GSASL,
        &MECHS,
        &CB_CASES,
        common::peer_client_with_wrong_password,
    )
}

#[test]
fn gsasl_client_unknown_user_fails_like_wrong_password() -> Result<(), PeerError> {
    common::each_mech(
        GSASL,
        &MECHS,
        common::peer_client_unknown_user_fails_like_wrong_password,
    )
}

#[test]
fn gsasl_client_with_other_binding_data_fails_at_our_server() -> Result<(), PeerError> {
    common::each_mech(GSASL, &MECHS, |gsasl, base| {
        CB_KINDS
            .iter()
            .try_for_each(|kind| common::peer_client_with_other_binding_data(gsasl, base, *kind))
    })
}

#[test]
fn gsasl_client_binding_type_our_server_lacks_is_refused() -> Result<(), PeerError> {
    common::with_peer(GSASL, |gsasl| {
        // gsasl binds with tls-unique; our connection only has tls-exporter.
        let case = Case::new(
            gsasl,
            "SCRAM-SHA-256",
            Some(ChannelBindingType::TlsUnique),
            1,
        );
        let store = Accounts::new(false);
        let spec = peer_client(gsasl, &case.mech, USER, PASSWORD, case.cb());
        let ours = common::binding(ChannelBindingType::TlsExporter, 1);
        let run = server_run(spec, &case.mech, Some(&ours), &store)?;
        assert!(run.both_failed(), "{case}\n{run}");
        assert!(
            text(run.client_messages()[0]).starts_with("p=tls-unique,,"),
            "{case}\n{run}"
        );
        assert_eq!(
            run.server_failure().unwrap().reason().kind(),
            FailureKind::ChannelBindingUnsupported,
            "{case}"
        );
        assert_eq!(
            run.server_messages(),
            [b"e=unsupported-channel-binding-type".as_slice()],
            "{case}\n{run}"
        );
        assert!(store.seen().is_empty(), "{case}: refused before the lookup");
        Ok(())
    })
}

#[test]
fn gsasl_client_authzid_reaches_our_server() -> Result<(), PeerError> {
    common::each_case(GSASL, &MECHS, &CB_CASES, |gsasl, case| {
        let mech = case.mech.as_str();
        let gs2 = match case.kind {
            Some(k) => format!("p={k},a=admin,"),
            None => "n,a=admin,".to_owned(),
        };

        // Granted: the identity becomes `admin`.
        let store = Accounts::new(true);
        let spec = peer_client(gsasl, mech, USER, PASSWORD, case.cb()).authzid("admin");
        let run = server_run(spec, mech, case.cb(), &store)?;
        assert!(run.both_succeeded(), "{case}\n{run}");
        assert!(
            text(run.client_messages()[0]).starts_with(&format!("{gs2}n={USER},")),
            "{case}\n{run}"
        );
        assert!(
            text(run.client_messages()[1]).starts_with(&expected_cbind(&gs2, case.cb())),
            "{case}\n{run}"
        );
        assert_eq!(
            store.seen(),
            [(USER.to_owned(), Some("admin".to_owned()))],
            "{case}"
        );
        let auth = run.authenticated().unwrap();
        assert_eq!(auth.authcid(), USER, "{case}");
        assert_eq!(auth.authzid(), Some("admin"), "{case}");
        assert_eq!(auth.identity(), "admin", "{case}");
        assert_eq!(auth.channel_binding(), case.kind, "{case}");

        // Not granted: refused after a valid proof.
        let store = Accounts::new(false);
        let spec = peer_client(gsasl, mech, USER, PASSWORD, case.cb()).authzid("admin");
        let run = server_run(spec, mech, case.cb(), &store)?;
        assert!(run.both_failed(), "{case}\n{run}");
        assert_eq!(
            run.server_failure().unwrap().reason().kind(),
            FailureKind::AuthorizationDenied,
            "{case}\n{run}"
        );
        assert!(run.server_messages()[1].starts_with(b"e="), "{case}\n{run}");
        Ok(())
    })
}

#[test]
fn gsasl_client_checks_our_server_signature() -> Result<(), PeerError> {
    common::each_mech(
        GSASL,
        &MECHS,
        common::peer_client_checks_our_server_signature,
    )
}
