"""The app's words in bokmål (default) and English.

Every visible string and every accessible label goes through `tr`, so the
browser tests, which find controls by their labels, read the same words a
user does. The domain's own messages (validation, store errors) come from
models/ and sync/ in bokmål and are shown as they are.
"""

from __future__ import annotations

LANGUAGES = {"nb": "Norsk bokmål", "en": "English"}
DEFAULT_LANGUAGE = "nb"

_TEXT: dict[str, tuple[str, str]] = {
    # login
    "app_title": ("Timeliste", "Timesheet"),
    "login_title": ("Logg inn", "Sign in"),
    "login_intro": (
        "Før timer, kjøring og utlegg for dem du er støttekontakt for.",
        "Log hours, driving and expenses for the people you support.",
    ),
    "server": ("Serveradresse", "Server address"),
    "username": ("Brukernavn", "Username"),
    "password": ("Passord", "Password"),
    "show_password": ("Vis passord", "Show password"),
    "hide_password": ("Skjul passord", "Hide password"),
    "login": ("Logg inn", "Sign in"),
    "logging_in": ("Logger inn …", "Signing in …"),
    "fill_all": ("Fyll ut alle feltene.", "Fill in every field."),
    "bad_server": (
        "Serveradressen må begynne med http:// eller https://.",
        "The server address must start with http:// or https://.",
    ),
    # the second factor, asked for only when the server wants it
    "otp": ("Engangskode", "One-time code"),
    "recovery_code": ("Reservekode", "Recovery code"),
    "otp_missing": (
        "Skriv inn koden fra autentiseringsappen.",
        "Enter the code from the authenticator app.",
    ),
    "recovery_missing": ("Skriv inn en reservekode.", "Enter a recovery code."),
    "use_recovery": ("Bruk en reservekode i stedet", "Use a recovery code instead"),
    "use_otp": ("Bruk koden fra appen", "Use the code from the app"),
    "starting": ("Starter …", "Starting …"),
    "open_elsewhere": (
        "Timeliste er åpen i en annen fane.",
        "Timeliste is open in another tab.",
    ),
    "open_elsewhere_hint": (
        "Bruk den fanen, eller lukk den: da åpner appen seg her.",
        "Use that tab, or close it: the app then opens here.",
    ),
    # home
    "my_people": ("Mine tjenestemottakere", "People I support"),
    "no_people": (
        "Du er ikke tildelt noen ennå. Kommunen legger dem inn.",
        "Nobody is assigned to you yet. The municipality adds them.",
    ),
    "used_of": ("Brukt {used} av {quota}", "Used {used} of {quota}"),
    "left": ("{left} igjen", "{left} left"),
    "over_by": ("{over} over vedtaket", "{over} over the decision"),
    "not_valid_today": ("Vedtaket gjelder ikke i dag", "The decision is not valid today"),
    "expires_on": ("Vedtaket går ut {day}", "The decision ends {day}"),
    "group": ("gruppe", "group"),
    "log_session": ("Ny økt", "New session"),
    "log_session_for": ("Ny økt for {name}", "New session for {name}"),
    "new_session": ("Ny økt", "New session"),
    "recent": ("Siste økter", "Recent sessions"),
    "no_entries": ("Ingen økter ført ennå.", "No sessions logged yet."),
    "month": ("Måned", "Month"),
    "messages": ("Meldinger", "Messages"),
    "settings": ("Innstillinger", "Settings"),
    "open_month": ("Timeliste for {name}", "Timesheet for {name}"),
    # sync chip
    "sync_synced": ("Synkronisert", "Synced"),
    "sync_waiting": ("{n} venter", "{n} waiting"),
    "sync_offline": ("Frakoblet", "Offline"),
    "sync_offline_since": ("Frakoblet · sist {when}", "Offline · last {when}"),
    "sync_offline_waiting": ("Frakoblet · {n} venter", "Offline · {n} waiting"),
    "sync_attention": ("Må ses på", "Needs attention"),
    "sync_syncing": ("Synkroniserer", "Syncing"),
    "sync_login": ("Logg inn igjen", "Sign in again"),
    "sync_details": ("Synkronisering", "Sync"),
    "sync_now": ("Synkroniser nå", "Sync now"),
    "last_synced": ("Sist synkronisert: {when}", "Last synced: {when}"),
    "never_synced": ("Ikke synkronisert ennå", "Not synced yet"),
    "waiting_count": ("Venter på å bli sendt: {n}", "Waiting to be sent: {n}"),
    "rejected_count": ("Må rettes: {n}", "To fix: {n}"),
    "offline_calm": (
        "Alt du lagrer blir på telefonen og sendes når nettet er tilbake.",
        "Everything you save stays on the phone and is sent when the network is back.",
    ),
    "close": ("Lukk", "Close"),
    # entry sheet
    "who": ("Hvem gjaldt økten?", "Who was the session with?"),
    "present": ("Til stede", "Present"),
    "date": ("Dato", "Date"),
    "date_hint": ("dd.mm.åååå", "dd/mm/yyyy"),
    "today": ("I dag", "Today"),
    "yesterday": ("I går", "Yesterday"),
    "start": ("Fra", "From"),
    "end": ("Til", "To"),
    "clock_hint": ("TT:MM", "HH:MM"),
    "start_timer": ("Start tidtaking", "Start timer"),
    "stop_timer": ("Stopp tidtaking", "Stop timer"),
    "timer_running": ("Tidtaking startet {start}", "Timer started {start}"),
    "activities": ("Aktiviteter", "Activities"),
    "other_activity": ("Annen aktivitet", "Other activity"),
    "note": ("Notat (valgfritt)", "Note (optional)"),
    "note_hint": (
        "Ikke skriv helseopplysninger eller annet sensitivt her.",
        "Do not write health details or anything sensitive here.",
    ),
    "trips": ("Kjøring", "Driving"),
    "add_trip": ("Legg til kjøring", "Add driving"),
    "km": ("Km", "Km"),
    "from_place": ("Fra sted", "From"),
    "to_place": ("Til sted", "To"),
    "purpose": ("Formål", "Purpose"),
    "remove_trip": ("Fjern kjøring {n}", "Remove driving {n}"),
    "expenses": ("Utlegg", "Expenses"),
    "add_expense": ("Legg til utlegg", "Add expense"),
    "amount": ("Beløp (kr)", "Amount (NOK)"),
    "category": ("Kategori", "Category"),
    "remove_expense": ("Fjern utlegg {n}", "Remove expense {n}"),
    "save": ("Lagre", "Save"),
    "saving": ("Lagrer …", "Saving …"),
    "delete": ("Slett økt", "Delete session"),
    "delete_confirm": ("Slette økten?", "Delete the session?"),
    "delete_body": (
        "Økten fjernes fra timelisten. Dette kan ikke angres.",
        "The session is removed from the timesheet. This cannot be undone.",
    ),
    "cancel": ("Avbryt", "Cancel"),
    "edit_session": ("Endre økt", "Edit session"),
    "saved": ("Økten er lagret.", "The session is saved."),
    "deleted": ("Økten er slettet.", "The session is deleted."),
    "locked": (
        "Timelisten er signert. Økten kan ikke endres.",
        "The timesheet is signed. The session cannot be changed.",
    ),
    "over_title": ("Over vedtaket", "Over the decision"),
    "over_body": (
        "Med denne økten er det brukt {used} av {quota} for {name} i {period} — "
        "{over} over vedtaket. Du kan lagre likevel; kommunen får beskjed.",
        "With this session {used} of {quota} is used for {name} in {period} — "
        "{over} over the decision. You can save anyway; the municipality is told.",
    ),
    "save_anyway": ("Lagre likevel", "Save anyway"),
    "next_day": ("neste dag", "next day"),
    "when_next_day": (
        "{start} til {end} neste dag · {length}",
        "{start} to {end} next day · {length}",
    ),
    "check_title": ("Stemmer dette?", "Is this right?"),
    "long_body": (
        "Økten varer {length} (fra {start} til {end}{next}). Stemmer det?",
        "The session lasts {length} (from {start} to {end}{next}). Is that right?",
    ),
    "overlap_body": (
        "Overlapper en annen økt du har ført: {others}. Du kan ikke være to steder samtidig; "
        "lagrer du likevel, får kommunen beskjed.",
        "Overlaps another session you logged: {others}. You cannot be in two places at once; "
        "if you save anyway, the municipality is told.",
    ),
    "pick_person": ("Velg hvem økten gjaldt.", "Choose who the session was with."),
    "bad_date": ("Skriv datoen som dd.mm.åååå.", "Write the date as dd/mm/yyyy."),
    "bad_clock": (
        "Skriv klokkeslett som TT:MM, for eksempel 09:30.",
        "Write the time as HH:MM, for example 09:30.",
    ),
    "bad_number": ("Skriv et tall.", "Write a number."),
    "fix_fields": ("Se over feltene som er merket.", "Check the marked fields."),
    # month and signing
    "timesheet": ("Timeliste", "Timesheet"),
    "prev_month": ("Forrige måned", "Previous month"),
    "next_month": ("Neste måned", "Next month"),
    "status_open": ("Åpen", "Open"),
    "status_signed": ("Signert", "Signed"),
    "status_approved": ("Godkjent", "Approved"),
    "status_exported": ("Godkjent og sendt til lønn", "Approved and sent to payroll"),
    "status_rejected": ("Avvist", "Rejected"),
    "rejected_reason": ("Avvist av kommunen: {reason}", "Rejected by the municipality: {reason}"),
    "fix_and_sign": (
        "Rett opp øktene og la mottaker signere på nytt.",
        "Correct the sessions and have the recipient sign again.",
    ),
    "total": ("Til sammen", "Total"),
    "total_hours": ("Timer", "Hours"),
    "total_km": ("Kjøring", "Driving"),
    "total_expenses": ("Utlegg", "Expenses"),
    "let_sign": ("La mottaker signere", "Let the recipient sign"),
    "sign_needs_sync": (
        "Telefonen må synkronisere én gang før timelisten kan signeres.",
        "The phone must sync once before the timesheet can be signed.",
    ),
    "nothing_to_sign": ("Ingen økter å signere denne måneden.", "No sessions to sign this month."),
    "handover_title": ("Timeliste for {period}", "Timesheet for {period}"),
    "handover_title_contact": (
        "Timeliste for {period} · Støttekontakt: {contact}",
        "Timesheet for {period} · Support contact: {contact}",
    ),
    "handover_intro": (
        "Les gjennom øktene. Stemmer det, skriver du navnet ditt og signerer med fingeren.",
        "Read the sessions. If they are right, write your name and sign with your finger.",
    ),
    "handover_for": ("Støttekontakt for {name}", "Support contact for {name}"),
    "sign_title": ("Signer timelisten", "Sign the timesheet"),
    "leave_signing_title": ("Avbryte signeringen?", "Stop signing?"),
    "leave_signing_body": (
        "Navnet og signaturen du har skrevet blir ikke lagret. Timelisten er ikke signert.",
        "The name and signature you wrote are not saved. The timesheet is not signed.",
    ),
    "stay_signing": ("Fortsett å signere", "Go on signing"),
    "leave_signing": ("Avbryt signeringen", "Stop signing"),
    "signer_name": ("Navnet ditt", "Your name"),
    "signer_role": ("Jeg er", "I am"),
    "role_recipient": ("Mottaker", "The recipient"),
    "role_foresatt": ("Foresatt", "Parent"),
    "role_verge": ("Verge", "Guardian"),
    "role_other": ("Annen", "Other"),
    "signature": ("Signaturfelt", "Signature field"),
    "sign_here": ("Tegn signaturen din her", "Draw your signature here"),
    "clear_signature": ("Tøm signaturen", "Clear the signature"),
    "feedback": ("Melding til kommunen (valgfritt)", "Message to the municipality (optional)"),
    "feedback_intro": (
        "Du kan gi ros, si hva du ønsker deg, eller klage. Alle som får tjenesten har rett "
        "til å klage på innholdet og omfanget av den. Meldingen går til kommunen.",
        "You may give praise, say what you wish for, or complain. Everyone who receives the "
        "service has the right to complain about its content and extent. The message goes "
        "to the municipality.",
    ),
    "fb_praise": ("Ros", "Praise"),
    "fb_wish": ("Ønske", "Wish"),
    "fb_complaint": ("Klage", "Complaint"),
    "confirm_sign": ("Bekreft og signer", "Confirm and sign"),
    "need_name": ("Skriv navnet ditt.", "Write your name."),
    "need_role": ("Velg hvem du er.", "Choose who you are."),
    "need_signature": ("Tegn signaturen din i feltet.", "Draw your signature in the field."),
    "signed_thanks": ("Takk! Timelisten er signert.", "Thank you! The timesheet is signed."),
    "give_back": (
        "Gi telefonen tilbake til støttekontakten.",
        "Give the phone back to the support contact.",
    ),
    "back_to_sheet": ("Tilbake til timelisten", "Back to the timesheet"),
    "sessions_count": ("{n} økter", "{n} sessions"),
    "sessions_one": ("1 økt", "1 session"),
    # messages
    "no_messages": ("Ingen meldinger. Alt er i orden.", "No messages. All is well."),
    "rejected_entry": ("Økt ikke godtatt", "Session not accepted"),
    "rejected_signature": ("Signatur ikke godtatt", "Signature not accepted"),
    "rejected_sheet": ("Timeliste avvist", "Timesheet rejected"),
    "fix": ("Rett opp", "Fix"),
    "discard": ("Forkast endringen", "Discard the change"),
    "open_sheet": ("Åpne timelisten", "Open the timesheet"),
    "flag": ("Avvik", "Flag"),
    # settings
    "language": ("Språk", "Language"),
    "signed_in_as": ("Logget inn som {user} på {server}", "Signed in as {user} at {server}"),
    "logout": ("Logg ut", "Sign out"),
    "logout_confirm": ("Logge ut?", "Sign out?"),
    "logout_body": (
        "Alt som er lagret på telefonen for denne kontoen slettes.",
        "Everything stored on the phone for this account is deleted.",
    ),
    "logout_pending": (
        "{n} endringer er ikke sendt ennå og går tapt.",
        "{n} changes have not been sent yet and will be lost.",
    ),
    "logout_pending_one": (
        "1 endring er ikke sendt ennå og går tapt.",
        "1 change has not been sent yet and will be lost.",
    ),
    "back": ("Tilbake", "Back"),
    "office": ("Kontor", "Office"),
}

FLAG_KINDS: dict[str, tuple[str, str]] = {
    "overuse": ("Overforbruk", "Overuse"),
    "outside_decision": ("Utenfor vedtaket", "Outside the decision"),
    "overlap": ("Overlappende økter", "Overlapping sessions"),
    "double_coverage": ("Dobbeltføring", "Double coverage"),
    "km_over_allowance": ("Kjøring over grensen", "Driving over the allowance"),
    "missing_politiattest": ("Politiattest mangler", "Police certificate missing"),
    "changed_after_signing": ("Endret etter signering", "Changed after signing"),
    "feedback": ("Melding fra mottaker", "Message from the recipient"),
}

ACTIVITY_CATALOGUE: tuple[tuple[str, str], ...] = (
    ("Tur", "Walk"),
    ("Kafé", "Café"),
    ("Trening", "Exercise"),
    ("Kino", "Cinema"),
    ("Handling", "Shopping"),
    ("Kultur", "Culture"),
    ("Matlaging", "Cooking"),
    ("Spill", "Games"),
    ("Samtale", "Conversation"),
)

EXPENSE_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("Inngangsbillett", "Admission"),
    ("Mat og drikke", "Food and drink"),
    ("Reise", "Travel"),
    ("Annet", "Other"),
)


def tr(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for `key` in `lang`, with `{name}` placeholders filled in."""
    nb, en = _TEXT[key]
    text = en if lang == "en" else nb
    return text.format(**values) if values else text


def flag_kind(kind: str, lang: str = DEFAULT_LANGUAGE) -> str:
    nb, en = FLAG_KINDS.get(kind, (kind, kind))
    return en if lang == "en" else nb


def activity_label(stored: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Catalogue activities are stored in bokmål (the timesheet's language) and shown in `lang`."""
    if lang == "en":
        for nb, en in (*ACTIVITY_CATALOGUE, *EXPENSE_CATEGORIES):
            if nb == stored:
                return en
    return stored


def keys() -> list[str]:
    return list(_TEXT)
