use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone as _};

use super::countfile::{self, ImportKind};
use super::*;
use crate::ledger::{self, EventKind};
use crate::team::{self, Member};
use crate::testing::{Office, at};

/// A small deterministic generator, so a failing case can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

const PARTNERS: [&str; 4] = ["ocmw:13049", "ocmw:24020", "caw:brussel", "ocmw:11002"];

#[derive(Debug, Clone)]
struct Generated {
    at: DateTime<FixedOffset>,
    kind: EventKind,
    recipient: &'static str,
    reference: Option<String>,
    package: Option<i64>,
}

/// Referrals from the end of 2025 into 2027, with Belgian winter and summer offsets and events on
/// the stroke of midnight and a second before it, the moments a period boundary cuts.
fn generate(seed: u64, referrals: usize) -> Vec<Generated> {
    let mut rng = Lcg(seed);
    let mut events = Vec::new();
    let start = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
    for r in 0..referrals {
        let recipient = PARTNERS[rng.next(4) as usize];
        let day = start + Duration::days(rng.next(420) as i64);
        let offset = if (4..=10).contains(&day.format("%m").to_string().parse::<u32>().unwrap()) {
            FixedOffset::east_opt(7200).unwrap()
        } else {
            FixedOffset::east_opt(3600).unwrap()
        };
        let time = match rng.next(4) {
            0 => day.and_hms_opt(0, 0, 0).unwrap(),
            1 => day.and_hms_opt(23, 59, 59).unwrap(),
            _ => day
                .and_hms_opt(8 + rng.next(10) as u32, rng.next(60) as u32, 0)
                .unwrap(),
        };
        let t0 = offset.from_local_datetime(&time).unwrap();
        // Unique across seeds, as real references are: a ledger may get two generations.
        let reference = format!("AM-TEST-{seed}-{r:04}");
        // The referral's packages: the referral itself, a correction, a withdrawal notice.
        let [original, correction, notice] = [1, 2, 3].map(|p| Some(r as i64 * 10 + p));
        let mut push = |at: DateTime<FixedOffset>, kind, with_ref: bool, package| {
            events.push(Generated {
                at,
                kind,
                recipient,
                reference: with_ref.then(|| reference.clone()),
                package,
            });
        };
        push(t0, EventKind::Created, true, None);
        if rng.next(4) == 0 {
            // A refusal, after all five points or before (then no "explained").
            if rng.next(2) == 0 {
                push(t0, EventKind::Explained, false, None);
            }
            push(t0, EventKind::Refused, false, None);
            continue;
        }
        push(t0, EventKind::Explained, true, None);
        push(t0, EventKind::Consented, true, None);
        push(t0, EventKind::Packaged, true, None);
        let mut t = t0 + Duration::hours(rng.next(24 * 9) as i64);
        match rng.next(9) {
            0 => {
                push(t, EventKind::Failed, true, original);
                continue;
            }
            1 => {
                push(t, EventKind::Cancelled, true, original);
                push(t, EventKind::Withdrawn, true, None);
                continue;
            }
            2 => {
                // Still waiting (a draft for the mail program, or queued).
                continue;
            }
            3 => {
                // Possibly sent, then withdrawn: the notice goes, the referral never did.
                push(t, EventKind::Withdrawn, true, None);
                t += Duration::hours(1);
                push(t, EventKind::Sent, true, notice);
                continue;
            }
            4 => {
                // Refused for good, sent again later after the mailbox was fixed.
                push(t, EventKind::Failed, true, original);
                t += Duration::days(1 + rng.next(5) as i64);
                push(t, EventKind::Sent, true, original);
            }
            5 => {
                // Stuck, then given up on.
                t += Duration::days(30);
                push(t, EventKind::Cancelled, true, original);
                push(t, EventKind::Purged, true, None);
                continue;
            }
            6 => {
                // Sent, and it came back; sent again, or not.
                push(t, EventKind::Sent, true, original);
                t += Duration::hours(1 + rng.next(48) as i64);
                push(t, EventKind::Bounced, true, original);
                if rng.next(2) == 0 {
                    t += Duration::days(1 + rng.next(5) as i64);
                    push(t, EventKind::Sent, true, original);
                }
            }
            _ => push(t, EventKind::Sent, true, original),
        }
        if rng.next(3) == 0 {
            t += Duration::days(1 + rng.next(20) as i64);
            push(t, EventKind::Corrected, true, None);
            push(t, EventKind::Sent, true, correction);
            // Then the correction comes back (the partner still has the referral), or the
            // referral does (the partner has the correction).
            t += Duration::hours(1 + rng.next(48) as i64);
            match rng.next(3) {
                0 => push(t, EventKind::Bounced, true, correction),
                1 => push(t, EventKind::Bounced, true, original),
                _ => {}
            }
        }
        if rng.next(5) == 0 {
            t += Duration::days(1 + rng.next(20) as i64);
            push(t, EventKind::Withdrawn, true, None);
            push(t, EventKind::Sent, true, notice);
            if rng.next(2) == 0 {
                push(t, EventKind::Bounced, true, notice);
            }
        }
        if rng.next(10) == 0 {
            push(t, EventKind::Incident, true, None);
        }
        push(t + Duration::days(30), EventKind::Purged, true, None);
    }
    // The ledger is written in the order things happen.
    events.sort_by_key(|e| e.at);
    events
}

fn write(office: &Office, events: &[Generated]) {
    let conn = office.store.conn();
    let tx = conn.unchecked_transaction().unwrap();
    for e in events {
        ledger::append(
            &tx,
            office.store.ledger_key(),
            e.kind,
            &e.at.to_rfc3339(),
            e.recipient,
            e.reference.as_deref(),
            e.package,
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

/// The counts worked out here, by walking the events, with nothing of the module under test.
/// Per partner: the ten counts and the days histogram.
fn expected(
    events: &[Generated],
    from: NaiveDate,
    to: NaiveDate,
) -> BTreeMap<&'static str, ([u32; 10], BTreeMap<u32, u32>)> {
    let mut out: BTreeMap<&'static str, ([u32; 10], BTreeMap<u32, u32>)> = BTreeMap::new();
    let local = |e: &Generated| e.at.date_naive();
    let in_period = |e: &Generated| (from..=to).contains(&local(e));
    // What happened on a day of the period.
    for e in events.iter().filter(|e| in_period(e)) {
        let slot = match e.kind {
            EventKind::Explained => 0,
            EventKind::Consented => 1,
            EventKind::Refused => 2,
            EventKind::Corrected => 8,
            EventKind::Incident => 9,
            _ => continue,
        };
        out.entry(e.recipient).or_default().0[slot] += 1;
    }
    // What became of each consent of the period, from its events in order: sent when one of its
    // packages was sent and did not come back before any withdrawal (then also withdrawn after
    // sending), withdrawn before sending when none had, failed when none has and one was sent,
    // refused or given up on, waiting otherwise. For those sent, the days run to the first send.
    let mut by_reference: BTreeMap<&str, Vec<&Generated>> = BTreeMap::new();
    for e in events {
        if let Some(r) = e.reference.as_deref() {
            by_reference.entry(r).or_default().push(e);
        }
    }
    for referral in by_reference.values() {
        let Some(consent) = referral.iter().find(|e| e.kind == EventKind::Consented) else {
            continue;
        };
        if !in_period(consent) {
            continue;
        }
        let mut with_partner = std::collections::BTreeSet::new();
        let mut first_send = None;
        let mut failed = false;
        let mut withdrawn = None;
        for e in referral {
            match e.kind {
                _ if withdrawn.is_some() => break,
                EventKind::Sent => {
                    with_partner.insert(e.package);
                    first_send.get_or_insert(*e);
                }
                EventKind::Bounced => {
                    with_partner.remove(&e.package);
                    failed = true;
                }
                EventKind::Failed | EventKind::Cancelled => failed = true,
                EventKind::Withdrawn => withdrawn = Some(!with_partner.is_empty()),
                _ => {}
            }
        }
        let counts = &mut out.entry(consent.recipient).or_default();
        let slot = match withdrawn {
            Some(true) => 7,
            Some(false) => 6,
            None if !with_partner.is_empty() => 3,
            None if failed => 5,
            None => 4,
        };
        counts.0[slot] += 1;
        if slot == 7 {
            counts.0[3] += 1;
        }
        if let Some(sent) = first_send.filter(|_| slot == 3 || slot == 7) {
            let days = (local(sent) - local(consent)).num_days() as u32;
            *counts.1.entry(days).or_default() += 1;
        }
    }
    out
}

/// The ten counts in the export's column order, written out field by field.
pub(crate) fn ten(c: &Counts) -> [u32; 10] {
    [
        c.explained,
        c.consented,
        c.refused,
        c.sent,
        c.waiting,
        c.failed,
        c.withdrawn_unsent,
        c.withdrawn_sent,
        c.corrected,
        c.incidents,
    ]
}

fn check(office: &Office, events: &[Generated], period: Period) {
    let report = counts(&office.store, &office.gazetteer, &period).unwrap();
    let want = expected(events, period.from, period.to);
    let got: BTreeMap<&str, ([u32; 10], BTreeMap<u32, u32>)> = report
        .partners
        .iter()
        .map(|p| {
            let key = PARTNERS.iter().find(|k| **k == p.recipient).unwrap();
            (
                *key,
                (
                    ten(&p.total),
                    p.total.days_to_send.iter().copied().collect(),
                ),
            )
        })
        .collect();
    assert_eq!(got, want, "{period:?}");
    assert!(report.is_consistent(), "{period:?}");
    // The consents are the sum of what became of them: for every partner, month and the total,
    // read from the columns as an export lists them.
    let every = std::iter::once(&report.total)
        .chain(report.months.iter().map(|m| &m.counts))
        .chain(
            report
                .partners
                .iter()
                .flat_map(|p| std::iter::once(&p.total).chain(p.months.iter().map(|m| &m.counts))),
        );
    for counts in every {
        let c = ten(counts);
        assert_eq!(c[1], c[3] + c[4] + c[5] + c[6], "{period:?}: {c:?}");
        assert!(c[7] <= c[3], "{period:?}: {c:?}");
    }
    // The screen's table shows the same numbers, in the columns it names.
    let table = report.table();
    let labels: Vec<&str> = table.columns.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels[0], "Vijf punten uitgelegd");
    assert_eq!(labels.len(), 10);
    for (row, partner) in table.rows.iter().zip(&report.partners) {
        assert_eq!(row.recipient.as_deref(), Some(partner.recipient.as_str()));
        assert_eq!(row.counts, ten(&partner.total));
        assert_eq!(row.median_days, partner.total.median_days());
    }
    assert_eq!(table.rows.len(), report.partners.len());
    assert_eq!(table.total.counts, ten(&report.total));
    assert_eq!(report.months.len(), period.months().len());
}

#[test]
fn counts_over_a_generated_ledger_match_counts_worked_out_independently() {
    for seed in [1, 7, 42] {
        let office = Office::new();
        let events = generate(seed, 300);
        write(&office, &events);
        for input in [
            PeriodInput::Year { year: 2026 },
            PeriodInput::Year { year: 2025 },
            PeriodInput::Half {
                year: 2026,
                half: 1,
            },
            PeriodInput::Half {
                year: 2026,
                half: 2,
            },
            PeriodInput::Custom {
                from: "2026-03-01".into(),
                to: "2026-03-01".into(),
            },
            PeriodInput::Custom {
                from: "2025-12-31".into(),
                to: "2026-01-01".into(),
            },
        ] {
            check(&office, &events, Period::from_input(&input).unwrap());
        }
    }
}

#[test]
fn an_event_at_midnight_belongs_to_its_own_local_day() {
    let office = Office::new();
    let events = vec![
        Generated {
            at: at("2026-12-31T23:59:59+01:00"),
            kind: EventKind::Consented,
            recipient: PARTNERS[0],
            reference: Some("AM-A".into()),
            package: None,
        },
        Generated {
            at: at("2027-01-01T00:00:00+01:00"),
            kind: EventKind::Sent,
            recipient: PARTNERS[0],
            reference: Some("AM-A".into()),
            package: None,
        },
    ];
    write(&office, &events);
    let y2026 = counts(
        &office.store,
        &office.gazetteer,
        &Period::year(2026).unwrap(),
    )
    .unwrap();
    // The consent is of 2026, and so is what became of it, though the send was in 2027.
    assert_eq!((y2026.total.consented, y2026.total.sent), (1, 1));
    assert_eq!(y2026.months[11].counts.consented, 1);
    assert_eq!(y2026.months[11].counts.sent, 1);
    assert_eq!(y2026.total.days_to_send, vec![(1, 1)]);
    assert_eq!(y2026.partners[0].name, "OCMW Westerlo");
    let y2027 = counts(
        &office.store,
        &office.gazetteer,
        &Period::year(2027).unwrap(),
    )
    .unwrap();
    assert_eq!((y2027.total.consented, y2027.total.sent), (0, 0));
    assert!(
        y2027.partners.is_empty(),
        "a send counts nowhere by its own day"
    );
}

#[test]
fn periods_are_checked_and_named_in_dutch() {
    assert_eq!(Period::year(2026).unwrap().label(), "2026");
    let half = Period::from_input(&PeriodInput::Half {
        year: 2026,
        half: 2,
    })
    .unwrap();
    assert_eq!(half.label(), "2e helft 2026");
    assert_eq!(half.months().first().map(String::as_str), Some("2026-07"));
    let custom = PeriodInput::Custom {
        from: "2026-03-01".into(),
        to: "2026-05-31".into(),
    };
    assert_eq!(
        Period::from_input(&custom).unwrap().label(),
        "01/03/2026 – 31/05/2026"
    );
    let reversed = PeriodInput::Custom {
        from: "2026-05-31".into(),
        to: "2026-03-01".into(),
    };
    let e = Period::from_input(&reversed).unwrap_err();
    assert_eq!((e.code(), e.field()), ("report.reversed", Some("to")));
    let bad = PeriodInput::Custom {
        from: "1/3/26".into(),
        to: "2026-03-01".into(),
    };
    let e = Period::from_input(&bad).unwrap_err();
    assert_eq!(e.field(), Some("from"));
    assert!(
        e.to_string()
            .starts_with("Van: typ de datum als dd/mm/jjjj")
    );
    // As the form types it: day first.
    let typed = PeriodInput::Custom {
        from: "1/3/2026".into(),
        to: "31/03/2026".into(),
    };
    let period = Period::from_input(&typed).unwrap();
    assert_eq!(period.to, NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
    assert!(
        Period::from_input(&PeriodInput::Half {
            year: 2026,
            half: 3
        })
        .is_err()
    );
    assert!(Period::year(1999).is_err());
}

#[test]
fn the_median_of_the_histogram_agrees_with_sorting_every_referral() {
    // Histograms from a small linear congruential generator: any order, repeats, empty bins.
    let mut state = 7u64;
    let mut next = |below: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        u32::try_from((state >> 33) % below).unwrap()
    };
    for _ in 0..200 {
        let histogram: Vec<(u32, u32)> = (0..next(6) + 1).map(|_| (next(40), next(4))).collect();
        let mut values: Vec<u32> = histogram
            .iter()
            .flat_map(|&(days, n)| std::iter::repeat_n(days, n as usize))
            .collect();
        values.sort_unstable();
        let expected = match values.len() {
            0 => None,
            n if n % 2 == 1 => Some(f64::from(values[n / 2])),
            n => Some(f64::midpoint(
                f64::from(values[n / 2 - 1]),
                f64::from(values[n / 2]),
            )),
        };
        let counts = Counts {
            days_to_send: histogram.clone(),
            ..Counts::default()
        };
        assert_eq!(counts.median_days(), expected, "{histogram:?}");
    }
}

#[test]
fn the_median_of_the_histogram_takes_the_middle_referral_or_the_mean_of_the_two() {
    let m = |h: &[(u32, u32)]| {
        Counts {
            days_to_send: h.to_vec(),
            ..Counts::default()
        }
        .median_days()
    };
    assert_eq!(m(&[]), None);
    assert_eq!(m(&[(3, 0)]), None);
    assert_eq!(m(&[(7, 1)]), Some(7.0));
    // 1 1 1 2 2 6 6: the 4th of 7.
    assert_eq!(m(&[(1, 3), (2, 2), (6, 2)]), Some(2.0));
    // 4 9: even, the mean.
    assert_eq!(m(&[(4, 1), (9, 1)]), Some(6.5));
    // 0 0 0 0 3 3 3 3 3 3: the 5th and 6th are both 3.
    assert_eq!(m(&[(0, 4), (3, 6)]), Some(3.0));
    // Unsorted input (a hand-made file) gives the same answer as sorted.
    assert_eq!(m(&[(6, 2), (1, 3), (2, 2)]), Some(2.0));
    // 1 1 2 | 10 10 10: middle pair 2 and 10.
    assert_eq!(m(&[(1, 2), (2, 1), (10, 3)]), Some(6.0));
}

fn worker(office: &Office, name: &str, email: &str) {
    WorkerProfile {
        name: name.into(),
        team: "Lokaal team Westerlo".into(),
        email: email.into(),
        phone: "014 12 34 56".into(),
    }
    .save(&office.store)
    .unwrap();
}

/// Reads in a count file as the supervisor does: the worker is on the team list, and the
/// supervisor confirms their key by its fingerprint on the first file.
fn import(
    supervisor: &Office,
    file: &[u8],
    now: DateTime<FixedOffset>,
) -> Result<countfile::ImportOutcome, ReportError> {
    let signed = countfile::parse(file)?;
    let worker = &signed.file.worker;
    let mut members = team::members(&supervisor.store).unwrap();
    if !members
        .iter()
        .any(|m| m.email.eq_ignore_ascii_case(&worker.email))
    {
        members.push(Member {
            name: worker.name.clone(),
            email: worker.email.clone(),
            ..Member::default()
        });
        team::save_members(&supervisor.store, members).unwrap();
    }
    let fingerprint = team::fingerprint(&signed.key);
    countfile::import(&supervisor.store, file, Some(&fingerprint), now)
}

fn count_file(office: &Office, year: i32, now: &str) -> Vec<u8> {
    countfile::export(
        &office.store,
        &office.gazetteer,
        &PeriodInput::Year { year },
        "0.1.0",
        at(now),
    )
    .unwrap()
    .bytes
    .to_vec()
}

#[test]
fn three_workers_count_files_add_up_and_a_fourth_of_the_same_worker_is_a_duplicate() {
    let people = [
        ("An Peeters", "an.peeters@example.be"),
        ("Zoë Müller", "zoe.muller@example.be"),
        ("Jan Çelik", "jan.celik@example.be"),
    ];
    let mut files = Vec::new();
    let mut offices = Vec::new();
    let mut want = [0u32; 10];
    let mut want_days: BTreeMap<u32, u32> = BTreeMap::new();
    for (i, (name, email)) in people.iter().enumerate() {
        let office = Office::new();
        worker(&office, name, email);
        let events = generate(100 + i as u64, 120);
        write(&office, &events);
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        for (counts, days) in expected(&events, from, to).into_values() {
            for (w, c) in want.iter_mut().zip(counts) {
                *w += c;
            }
            for (d, n) in days {
                *want_days.entry(d).or_default() += n;
            }
        }
        files.push(count_file(&office, 2026, "2027-01-05T10:00:00+01:00"));
        offices.push(office);
    }
    let text = String::from_utf8(files[0].clone()).unwrap();
    assert!(text.contains("\"schema\": \"be.kindengezin.aanmelder.telling\""));
    assert!(
        countfile::parse(&files[0])
            .unwrap()
            .file
            .ledger
            .head
            .is_some(),
        "the log's last link travels along"
    );
    assert!(!text.contains("AM-TEST"), "no reference codes, only counts");

    let supervisor = Office::new();
    let now = at("2027-01-10T09:00:00+01:00");
    for file in &files {
        let outcome = import(&supervisor, file, now).unwrap();
        assert_eq!(outcome.kind, ImportKind::Added);
    }
    let members = [
        Member {
            name: "An Peeters".into(),
            email: "AN.PEETERS@example.be".into(),
            ..Member::default()
        },
        Member {
            name: "Zoë Müller".into(),
            email: "zoe.muller@example.be".into(),
            ..Member::default()
        },
        Member {
            name: "Jan Çelik".into(),
            email: "jan.celik@example.be".into(),
            ..Member::default()
        },
        Member {
            name: "Sara Janssens".into(),
            email: "sara.janssens@example.be".into(),
            ..Member::default()
        },
    ];
    let period = Period::year(2026).unwrap();
    let team = countfile::team_report(&supervisor.store, &period, &members).unwrap();
    assert_eq!(ten(&team.report.total), want);
    assert_eq!(
        team.report.total.days_to_send,
        want_days.into_iter().collect::<Vec<_>>()
    );
    assert!(team.report.is_consistent());
    assert_eq!(team.workers.len(), 3);
    assert_eq!(team.missing, vec![members[3].clone()]);

    // The fourth file: the second worker's again.
    let again = import(&supervisor, &files[1], now).unwrap();
    assert_eq!(again.kind, ImportKind::Duplicate);
    assert!(again.message.contains("Zoë Müller"));
    let after = countfile::team_report(&supervisor.store, &period, &members).unwrap();
    assert_eq!(after.report, team.report, "a duplicate changes nothing");

    // A file of another year (from the same worker's app) is kept but not counted in 2026.
    let office = offices.pop().unwrap();
    write(&office, &generate(9, 40));
    let other = count_file(&office, 2025, "2027-01-05T10:00:00+01:00");
    assert_eq!(
        import(&supervisor, &other, now).unwrap().kind,
        ImportKind::Added
    );
    let with_other = countfile::team_report(&supervisor.store, &period, &members).unwrap();
    assert_eq!(
        (with_other.other_periods, with_other.report.total.clone()),
        (1, team.report.total.clone())
    );
    assert_eq!(countfile::imports(&supervisor.store).unwrap().len(), 4);
}

#[test]
fn a_newer_file_of_the_same_worker_and_period_replaces_the_older() {
    let office = Office::new();
    worker(&office, "An Peeters", "an.peeters@example.be");
    write(&office, &generate(3, 50));
    let old = count_file(&office, 2026, "2026-12-01T10:00:00+01:00");
    write(&office, &generate(4, 50));
    let new = count_file(&office, 2026, "2027-01-02T10:00:00+01:00");
    let supervisor = Office::new();
    let now = at("2027-01-10T09:00:00+01:00");
    let year = Period::year(2026).unwrap();
    assert_eq!(
        import(&supervisor, &old, now).unwrap().kind,
        ImportKind::Added
    );
    // Made on 1 December: its counts stop there, and the screen says so.
    let early = countfile::team_report(&supervisor.store, &year, &[]).unwrap();
    assert!(!early.workers[0].whole_period);
    assert_eq!(
        import(&supervisor, &new, now).unwrap().kind,
        ImportKind::Replaced
    );
    let whole = countfile::team_report(&supervisor.store, &year, &[]).unwrap();
    assert!(whole.workers[0].whole_period);
    assert_eq!(
        import(&supervisor, &old, now).unwrap().kind,
        ImportKind::Duplicate
    );
    let team =
        countfile::team_report(&supervisor.store, &Period::year(2026).unwrap(), &[]).unwrap();
    let mine = counts(
        &office.store,
        &office.gazetteer,
        &Period::year(2026).unwrap(),
    )
    .unwrap();
    assert_eq!(team.report.total, mine.total);
}

#[test]
fn a_member_whose_address_changed_is_still_counted_once() {
    let office = Office::new();
    worker(&office, "An Peeters", "an.peeters@example.be");
    write(&office, &generate(3, 50));
    let before = count_file(&office, 2026, "2027-01-02T10:00:00+01:00");
    let supervisor = Office::new();
    let now = at("2027-01-10T09:00:00+01:00");
    assert_eq!(
        import(&supervisor, &before, now).unwrap().kind,
        ImportKind::Added
    );
    // A new address, in her settings and in the team list (her confirmed key stays with her).
    worker(&office, "An Peeters", "an.peeters@nieuw.example");
    let mut members = team::members(&supervisor.store).unwrap();
    assert!(!members[0].public_key.is_empty());
    members[0].email = "an.peeters@nieuw.example".into();
    team::save_members(&supervisor.store, members).unwrap();
    let after = count_file(&office, 2026, "2027-01-03T10:00:00+01:00");
    assert_eq!(
        import(&supervisor, &after, now).unwrap().kind,
        ImportKind::Replaced
    );
    let year = Period::year(2026).unwrap();
    let team = countfile::team_report(&supervisor.store, &year, &[]).unwrap();
    assert_eq!(team.workers.len(), 1);
    assert_eq!(team.workers[0].worker.email, "an.peeters@nieuw.example");
    let mine = counts(&office.store, &office.gazetteer, &year).unwrap();
    assert_eq!(team.report.total, mine.total, "her counts once, not twice");
    // The older file again: its address is no longer on the team list.
    assert!(matches!(
        countfile::import(&supervisor.store, &before, None, now),
        Err(ReportError::NotAMember { .. })
    ));
}

#[test]
fn a_members_file_is_never_replaced_by_another_members_signed_with_the_same_key() {
    // Two members whose files come from one app (a copied installation): the key alone does
    // not make them one worker while both are on the team list.
    let office = Office::new();
    worker(&office, "An Peeters", "an.peeters@example.be");
    write(&office, &generate(3, 50));
    let an = count_file(&office, 2026, "2027-01-02T10:00:00+01:00");
    worker(&office, "Zoë Müller", "zoe.muller@example.be");
    let zoe = count_file(&office, 2026, "2027-01-03T10:00:00+01:00");
    let supervisor = Office::new();
    let now = at("2027-01-10T09:00:00+01:00");
    for file in [&an, &zoe] {
        assert_eq!(
            import(&supervisor, file, now).unwrap().kind,
            ImportKind::Added
        );
    }
    let team =
        countfile::team_report(&supervisor.store, &Period::year(2026).unwrap(), &[]).unwrap();
    assert_eq!(team.workers.len(), 2);
}

#[test]
fn an_unsigned_changed_or_foreign_count_file_is_refused() {
    let office = Office::new();
    worker(&office, "An Peeters", "an.peeters@example.be");
    write(&office, &generate(5, 80));
    let file = count_file(&office, 2026, "2027-01-02T10:00:00+01:00");
    let envelope: serde_json::Value = serde_json::from_slice(&file).unwrap();
    let telling = envelope["telling"].as_str().unwrap().to_owned();
    let supervisor = Office::new();
    let now = at("2027-01-10T09:00:00+01:00");
    let code = |bytes: &[u8]| import(&supervisor, bytes, now).unwrap_err().code();

    // Unsigned: the counts alone, as version 1 wrote them, or with the signature taken off.
    assert_eq!(code(telling.as_bytes()), "report.unsigned");
    let mut bare = envelope.clone();
    bare.as_object_mut().unwrap().remove("signature");
    assert_eq!(
        countfile::parse(&serde_json::to_vec(&bare).unwrap())
            .unwrap_err()
            .code(),
        "report.not_a_count_file"
    );

    // Changed: any one byte of the signed counts.
    let bytes = telling.as_bytes();
    for i in (0..bytes.len()).step_by(11) {
        let mut changed = bytes.to_vec();
        changed[i] = if changed[i] == b'7' { b'8' } else { b'7' };
        let Ok(changed) = String::from_utf8(changed) else {
            continue;
        };
        let mut tampered = envelope.clone();
        tampered["telling"] = changed.into();
        let tampered = serde_json::to_vec(&tampered).unwrap();
        assert_eq!(
            countfile::parse(&tampered).unwrap_err().code(),
            "report.signature",
            "byte {i}"
        );
    }

    // The first file of a member needs the confirmed fingerprint; then that key is pinned.
    team::save_members(
        &supervisor.store,
        vec![Member {
            name: "An Peeters".into(),
            email: "an.peeters@example.be".into(),
            ..Member::default()
        }],
    )
    .unwrap();
    let e = countfile::import(&supervisor.store, &file, None, now).unwrap_err();
    assert_eq!(e.code(), "report.confirm_key");
    let fingerprint = team::own_fingerprint(&office.store).unwrap();
    assert!(e.to_string().contains(&fingerprint), "{e}");
    countfile::import(&supervisor.store, &file, Some(&fingerprint), now).unwrap();

    // Signed by another app (an unknown key) in An's name: refused, naming both fingerprints.
    let impostor = Office::new();
    worker(&impostor, "An Peeters", "an.peeters@example.be");
    let forged = count_file(&impostor, 2026, "2027-01-03T10:00:00+01:00");
    let e = countfile::import(&supervisor.store, &forged, Some("x"), now).unwrap_err();
    assert_eq!(e.code(), "report.other_key");
    assert!(e.to_string().contains(&fingerprint), "{e}");

    // Not on the team list at all.
    let stranger = Office::new();
    worker(&stranger, "Iemand Anders", "iemand@example.be");
    let theirs = count_file(&stranger, 2026, "2027-01-03T10:00:00+01:00");
    let e = countfile::import(&supervisor.store, &theirs, None, now).unwrap_err();
    assert_eq!(e.code(), "report.not_a_member");

    // Signed, but with totals that do not add up (a hand-made file signed with a real key).
    let mut inner: serde_json::Value = serde_json::from_str(&telling).unwrap();
    let sent = inner["report"]["partners"][0]["total"]["sent"]
        .as_u64()
        .unwrap();
    inner["report"]["partners"][0]["total"]["sent"] = (sent + 1).into();
    let resign = |inner: &serde_json::Value| {
        let text = serde_json::to_string(inner).unwrap();
        let (public_key, signature) = team::sign(&office.store, text.as_bytes()).unwrap();
        serde_json::to_vec(&serde_json::json!({
            "schema": countfile::SCHEMA,
            "telling": text,
            "public_key": public_key,
            "signature": signature,
        }))
        .unwrap()
    };
    assert_eq!(code(&resign(&inner)), "report.tampered_count_file");
    inner["report"]["partners"][0]["total"]["sent"] = sent.into();
    inner["version"] = 99.into();
    assert_eq!(code(&resign(&inner)), "report.newer_count_file");

    let e = countfile::parse(b"{\"schema\": \"iets anders\"}").unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        ("report.not_a_count_file", Some("path"))
    );
    assert!(countfile::parse(b"not json").is_err());
    assert_eq!(countfile::imports(&supervisor.store).unwrap().len(), 1);
}

#[test]
fn a_count_file_needs_the_workers_name_and_team() {
    let office = Office::new();
    WorkerProfile {
        name: "An Peeters".into(),
        ..WorkerProfile::default()
    }
    .save(&office.store)
    .unwrap();
    let e = countfile::export(
        &office.store,
        &office.gazetteer,
        &PeriodInput::Year { year: 2026 },
        "0.1.0",
        at("2027-01-02T10:00:00+01:00"),
    )
    .unwrap_err();
    assert_eq!(e.code(), "report.incomplete_profile");
}

#[test]
fn a_refusal_before_the_five_points_counts_as_a_refusal_only() {
    let office = Office::new();
    let now = at("2026-05-04T10:00:00+02:00");
    let visit = office.visit();
    let all: Vec<String> = crate::consent::POINT_KEYS
        .iter()
        .map(|k| (*k).to_owned())
        .collect();
    for ticked in [&[][..], &all[..3], &all[..]] {
        let reference = visit
            .start(&crate::testing::client("Zoë", "Müller", "2260"), now)
            .unwrap()
            .referral
            .reference;
        visit.refuse(&reference, ticked, now).unwrap();
    }
    let report = counts(
        &office.store,
        &office.gazetteer,
        &Period::year(2026).unwrap(),
    )
    .unwrap();
    // Three refusals; only the one after all five points counts as "five points explained".
    assert_eq!((report.total.refused, report.total.explained), (3, 1));
    assert_eq!(report.total.consented, 0);
}

#[test]
fn every_line_of_the_legend_reads_as_a_sentence() {
    // The legend goes as written into every export (CSV, workbook, PDF): a run of spaces from
    // the source's line breaks would go with it.
    for entry in legend() {
        let text = &entry.explanation;
        assert!(!text.contains("  "), "{}: {text:?}", entry.label);
        assert!(text.ends_with('.'), "{}: {text:?}", entry.label);
        assert!(
            text.starts_with(char::is_uppercase),
            "{}: {text:?}",
            entry.label
        );
    }
}
