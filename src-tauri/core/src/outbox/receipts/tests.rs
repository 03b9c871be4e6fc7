use super::*;

const ID: &str = "<AM-ABCD-EFGH.0a1b2c3d4e5f@aanmelder.kindengezin.be>";

fn report(report_type: &str, part_type: &str, fields: &str, original: &str) -> Vec<u8> {
    format!(
        "From: MAILER-DAEMON@ocmw.example\r\n\
         To: an.peeters@example.be\r\n\
         Subject: Report\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type={report_type}; boundary=\"b\"\r\n\
         \r\n\
         --b\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         Uw bericht.\r\n\
         --b\r\n\
         Content-Type: {part_type}\r\n\
         \r\n\
         {fields}\r\n\
         --b\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         Message-ID: {original}\r\n\
         Date: Sun, 22 Nov 2026 10:15:00 +0100\r\n\
         Subject: Aanmelding AM-ABCD-EFGH\r\n\
         --b--\r\n"
    )
    .into_bytes()
}

/// What a report says about our mail [`ID`], without the returned original's Date.
fn said(raw: &[u8]) -> Option<Report> {
    read_report(raw, ID).map(|(report, _)| report)
}

#[test]
fn a_bounce_of_our_mail_gives_the_servers_reason() {
    let raw = report(
        "delivery-status",
        "message/delivery-status",
        "Reporting-MTA: dns; mx.ocmw.example\r\n\r\nFinal-Recipient: rfc822; weg@ocmw.example\r\n\
         Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown",
        ID,
    );
    assert_eq!(
        said(&raw),
        Some(Report::Bounce("smtp; 550 5.1.1 user unknown".into()))
    );
}

#[test]
fn a_bounce_tells_which_attempt_came_back_by_the_date_of_the_mail_it_returns() {
    let raw = report(
        "delivery-status",
        "message/delivery-status",
        "Reporting-MTA: dns; mx.ocmw.example\r\n\r\nFinal-Recipient: rfc822; vol@ocmw.example\r\n\
         Action: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 5.2.2 mailbox full",
        ID,
    );
    let (_, returned) = read_report(&raw, ID).unwrap();
    let sent = crate::testing::at("2026-11-22T10:15:00+01:00");
    assert_eq!(returned, Some(sent));
    // The attempt it returns was the latest: it counts.
    assert!(!of_an_earlier_attempt(returned, Some(sent)));
    // The package went again at 11:40 (after "mogelijk al verzonden"): this one is the earlier.
    let again = crate::testing::at("2026-11-22T11:40:00+01:00");
    assert!(of_an_earlier_attempt(returned, Some(again)));
    // Same instant in another offset is the same attempt.
    let utc = crate::testing::at("2026-11-22T09:15:00+00:00");
    assert!(!of_an_earlier_attempt(returned, Some(utc)));
    // Without either date, it counts, as before.
    assert!(!of_an_earlier_attempt(None, Some(again)));
    assert!(!of_an_earlier_attempt(returned, None));
}

#[test]
fn a_read_receipt_of_our_mail_is_a_receipt() {
    let raw = report(
        "disposition-notification",
        "message/disposition-notification",
        &format!(
            "Final-Recipient: rfc822; aanmelding@ocmw.example\r\nOriginal-Message-ID: {ID}\r\n\
             Disposition: manual-action/MDN-sent-manually; displayed"
        ),
        ID,
    );
    assert_eq!(said(&raw), Some(Report::Receipt));
}

#[test]
fn a_notification_that_our_mail_was_deleted_unread_is_no_receipt() {
    let raw = report(
        "disposition-notification",
        "message/disposition-notification",
        &format!(
            "Original-Message-ID: {ID}\r\nDisposition: automatic-action/MDN-sent-automatically; deleted"
        ),
        ID,
    );
    assert_eq!(said(&raw), None);
}

#[test]
fn a_report_about_another_mail_or_a_delay_is_nothing() {
    let other = "<AM-ZZZZ-ZZZZ.ffffffffffff@aanmelder.kindengezin.be>";
    let raw = report(
        "disposition-notification",
        "message/disposition-notification",
        &format!("Original-Message-ID: {other}\r\nDisposition: automatic-action; displayed"),
        other,
    );
    assert_eq!(said(&raw), None);
    let delayed = report(
        "delivery-status",
        "message/delivery-status",
        "Final-Recipient: rfc822; x@ocmw.example\r\nAction: delayed\r\nStatus: 4.4.7",
        ID,
    );
    assert_eq!(said(&delayed), None);
    assert_eq!(said(b"Subject: hallo\r\n\r\nGewoon een mail.\r\n"), None);
}

#[test]
fn our_id_quoted_elsewhere_in_a_report_is_not_enough() {
    // A read receipt for another mail whose original happened to quote ours in References.
    let other = "<AM-ZZZZ-ZZZZ.ffffffffffff@aanmelder.kindengezin.be>";
    let quoting = report(
        "disposition-notification",
        "message/disposition-notification",
        &format!("Disposition: automatic-action; displayed\r\nX-Note: re {ID}"),
        &format!("{other}\r\nReferences: {ID}"),
    );
    assert_eq!(said(&quoting), None);
    // A read receipt without Original-Message-ID counts by the original's own Message-ID.
    let bare = report(
        "disposition-notification",
        "message/disposition-notification",
        "Disposition: manual-action/MDN-sent-manually; displayed",
        ID,
    );
    assert_eq!(said(&bare), Some(Report::Receipt));
}

#[test]
fn only_our_own_ids_are_ever_put_in_a_search() {
    assert!(safe(ID));
    assert!(safe("AM-ABCD-EFGH"));
    for bad in ["", "AM \"x\"", "a\r\nb", "x OR ALL", "<a>\\"] {
        assert!(!safe(bad), "{bad:?}");
    }
}
