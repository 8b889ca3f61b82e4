# GasQ's messages to drivers, English. Each message is one SMS (at most two segments:
# cloud/src/messages/segments.rs measures every message with the longest arguments) and
# the body of the e-mail of the same name; `-subject` attributes are e-mail subjects.
# Arguments: $station (at most 24 characters), $when ("Sat 30 Nov 17:45"), $time
# ("17:45"), $code (the booking code), $amount ("₹345.80"), $lane, $link, $minutes.

booking-confirmed = GasQ: booked { $station }, { $when }. Code { $code }. Show the QR or this code at the lane. To cancel send CANCEL { $code }
    .subject = Your GasQ slot at { $station }, { $when }

booking-cancelled = GasQ: booking { $code } at { $station }, { $when } is cancelled.{ $refund ->
        [none] {""}
       *[some] {" "}{ $refund } will be refunded.
    }
    .subject = GasQ booking { $code } cancelled

refund-processed = GasQ: { $amount } refunded for booking { $code }. Your bank shows it in 5-7 days.
    .subject = GasQ refund of { $amount }

reminder = GasQ: { $station } at { $time }. Reply 1 = Coming, 2 = Not coming. { $link }
    .subject = Your GasQ slot at { $time }: coming?

reminder-coming = GasQ: thanks, { $station } expects you at { $time }. Code { $code }.
    .subject = See you at { $time }

lane-moved = GasQ: a lane at { $station } is down. Your booking moved to { $when }, new code { $code }. To cancel send CANCEL { $code }.
    .subject = Your GasQ slot moved to { $when }

code-changed = GasQ: booking at { $station }, { $when } now runs until { $until }. New code { $code }: the old one no longer works.
    .subject = Your GasQ booking: new code { $code }

your-turn = GasQ: your turn at { $station }: go to lane { $lane }.
    .subject = Your turn: lane { $lane }

slot-offered = GasQ: a place is free at { $station }, { $when }. { $channel ->
        [sms] Reply YES or open { $link }
       *[email] Open { $link }
    } within { $minutes } min to take it.
    .subject = A place is free at { $station }

# Replies to a driver's SMS (each tells what happened and what to send next).
sms-booked = GasQ: booked { $station }, { $when }. Code { $code }. Show it at the lane. To cancel send CANCEL { $code }.
# Added to a booking made in a rush slot: the calmer times that day.
sms-rush-note = Rush hour then; calmer: { $calm }.
sms-full = GasQ: { $station } is full at { $time }. Free: { $times }. Send BOOK { $station_code } { $first }
# Added to a "full" answer: the calmest station nearby with a place then.
sms-nearby = Or BOOK { $station_code } { $time }, { $km } km away.
sms-no-station = GasQ: no station "{ $station_code }". Send BOOK <station code> <HH:MM>, e.g. BOOK MUM-0042 17:30
sms-need-time = GasQ: at what time? Send BOOK { $station_code } <HH:MM>, e.g. BOOK { $station_code } 17:30
sms-need-vehicle = GasQ: add your vehicle number: BOOK { $station_code } { $time } MH12AB1234
sms-refused = GasQ: not booked: { $reason }. Send HELP for the commands.
# Why a booking by SMS or phone was refused: the $reason of sms-refused and ivr-refused.
# $until is the station's local time ("17:45", or "Sun 17:45" on another day).
refusal = { $why ->
        [closed] the station takes no bookings then
        [full-today] every slot near then is full
        [kg] send the kilograms as a number, like 8, or leave them out to fill the tank
        [vehicle] this vehicle already has a booking near then; pick a time after { $until } or cancel it
        [driver] you hold the most bookings allowed; one frees by { $until }
        [rate] too many bookings this hour; try again after { $until }
        [no-caller] we could not see your phone number
       *[other] please try again in a few minutes
    }
sms-status-none = GasQ: no bookings on this number. To book send BOOK <station code> <HH:MM>
sms-status = GasQ: { $list }. To cancel send CANCEL <code>
sms-cancelled = GasQ: booking { $code } is cancelled.
sms-not-found = GasQ: no booking { $code } on this number. Send STATUS to see yours.
sms-need-code = GasQ: which booking? Send CANCEL <code>; STATUS lists your codes.
sms-help = GasQ: BOOK <station> <HH:MM> [kg] [vehicle no.] to book. STATUS. CANCEL <code>. 1 = coming, 2 = not coming. YES takes a place offered.
sms-unknown = GasQ: not understood. Send HELP, or e.g. BOOK MUM-0042 17:30
sms-no-reminder = GasQ: no reminder to answer now. Send STATUS to see your bookings.
sms-limit = GasQ: too many messages from this number. Try again in an hour.
sms-no-offer = GasQ: no place is offered to you now. We send an SMS when one frees.

# The phone line (IVR), spoken.
ivr-language = For English, press 2.
ivr-station = Enter the station code from its sign on the keypad, letters on their keys: for M U M 0 0 4 2, press 6 8 6 0 0 4 2. Then press hash.
ivr-time = Enter the time as four digits, for example 1 7 3 0 for half past five in the evening.
ivr-kg = Enter the kilograms, or 0 to fill the tank, then press hash.
ivr-confirm = { $station }, at { $time }, { $kg }. Press 1 to book. Press 2 to start again.
ivr-fill = a full tank
ivr-kilos = { $kg } kilograms
ivr-booked = Booked. Your code is { $code }. We are sending it to you by SMS. Goodbye.
ivr-full = That time is full. The nearest free time is { $first }. Enter a time as four digits.
ivr-no-station = There is no station with that number.
ivr-bad-time = The station cannot take bookings then.
ivr-wrong = Sorry, that key is not one of the choices.
ivr-goodbye = Sorry, we could not understand. Please call again, or send HELP by SMS. Goodbye.
ivr-already = This call has already made its booking. Its code is on its way by SMS. Goodbye.
ivr-refused = We could not book: { $reason }. Goodbye.

# The web pages (cloud/src/web). Buttons and labels are short: a phone is 360 px wide.
web-nav-stations = Stations
web-nav-bookings = My bookings
web-nav-sign-in = Sign in
web-nav-sign-out = Sign out
web-sign-in-title = Sign in
web-login-label = Phone or e-mail
web-password-label = Password
web-sign-in = Sign in
web-no-account = New to GasQ?
web-register = Create an account
web-register-title = Create your account
web-name-label = Your name
web-phone-label = Mobile number
web-email-label = E-mail
web-password-hint = At least 8 characters.
web-have-account = Already have an account?
web-wrong-credentials = That phone, e-mail or password is not right. Check them and try again.
web-too-many = Too many tries. Wait { $seconds } seconds, then try again.
web-slow-down = Too many requests from this network. Wait a minute, then try again.
web-account-exists = An account with this phone or e-mail already exists. Sign in instead.
web-try-later = Something went wrong on our side. Try again in a minute.
web-form-expired-title = Please try again
web-form-expired = This form was open too long, or came from another site. Go back, reload the page and send it again.
web-not-found = Not found
web-stations-title = CNG stations
web-use-location = Show the nearest first
web-now = Now
web-next-free = Next free slot
web-none-free-today = No free slot today
web-no-stations = No stations yet.
web-directions = Directions
web-days = Days
web-rush-low = Calm
web-rush-medium = Busy
web-rush-high = Rush
web-rush-unknown = Open
web-full = Full
web-free = free
web-no-slots-left = No slots left on this day. Pick another day.
web-book-title = Book { $time }
web-price-per-kg = { $price } a kg.
web-sign-in-to-book = Sign in to book this slot.
web-vehicle-label = Vehicle
web-another-vehicle = Another vehicle…
web-registration-label = Vehicle number (for a new vehicle)
web-kg-label = Kilograms
web-kg-fill = Leave empty to fill the tank
web-pay-label = Pay
web-pay-at-station = At the station
web-pay-online = Online now (UPI, card)
web-book = Book
web-rush-nudge = This is a rush slot: expect a queue. Calmer times nearby:
web-bad-registration = That vehicle number does not look right. Write it like MH12AB1234.
web-pick-vehicle = Choose your vehicle, or write the number of a new one.
web-bad-kg = Write the kilograms as a number, like 8, or leave it empty to fill the tank.
web-slot-full = That slot has just filled up. Pick another time below.
web-bookings-title = My bookings
web-no-bookings = No bookings yet.
web-code = Code
web-booking-title = Your booking
web-qr-alt = QR code of your booking: show it at the lane
web-valid-window = Valid { $from } to { $until }
web-code-hint = No QR? Tell the attendant this code:
web-pay-now = Pay now
web-coming-question = Are you coming?
web-coming-noted = Thanks: the station expects you.
web-coming = Coming
web-not-coming = Not coming (cancel)
web-running-late = Running late?
web-late-ok = Your token now allows { $minutes } minutes more for the road.
web-late-refused = We could not give more time for this slot. Book a later one if you cannot make it.
web-cancel = Cancel booking
web-cancelled = Cancelled. Any refund is on its way.
web-cannot-cancel = This booking can no longer be cancelled.
web-status-pending-payment = Awaiting payment
web-status-confirmed = Confirmed
web-status-redeemed = At the lane
web-status-completed = Fuelled
web-status-cancelled = Cancelled
web-status-expired = Lapsed
web-status-no-show = Missed
web-board-stale = This board is not up to date: the station's box has not reported for a while.
web-board-waiting = Waiting now
web-board-wait = A walk-in waits about
web-board-lanes = Lanes
web-board-lane = Lane
web-board-lane-up = open
web-board-lane-down = closed
web-board-lane-unknown = open, not confirmed
web-board-calm = Calm slots to book
web-board-no-calm = None left today: try tomorrow.
web-forbidden = This page is for the station's staff.
web-edge-online = The station's box is online: this board is current.
web-edge-stale = The station's box has not reported for { $minutes } minutes: lanes and queue may be out of date. Check its power and network.
web-edge-none = No box is reporting for this station: lanes and queue are unknown. A technician can enrol one at /tech.
web-lanes-in-service = { $up } of { $all } lanes in service.
web-lane-out = Take a lane out of service
web-lane-back = Put a lane back
web-lanes-saved = Saved. Bookings that no longer fit were moved or refunded.
web-today = Today
web-today-booked = Booked
web-today-fills = Fills
web-today-walkins = Walk-ins
web-forecast-vs-actual = Today: expected arrivals and actual
web-chart-expected = expected
web-chart-actual = arrived
web-expected = Due in the next two hours
web-search-label = Find by code or vehicle number
web-expected-none = No bookings due.
web-nav-lane-boards = Lane boards
web-nav-tech = Boxes
web-tech-title = Station boxes
web-tech-no-stations = No stations are assigned to you yet: ask a super admin.
web-tech-no-box = No box is enrolled here: create a code and enrol one.
web-tech-box-online = Online: it pulled from the cloud just now.
web-tech-box-stale = Silent for { $minutes } minutes: check its power, network and clock.
web-tech-box-never = Enrolled, but it has never pulled: start gasq-edge run on it.
web-tech-revoke = Revoke this box
web-tech-revoked = Revoked: the box is cut off at its next call.
web-tech-revoke-refused = That box could not be revoked: it is not at one of your stations.
web-tech-new-code = Create an enrollment code
web-tech-code-refused = You cannot enrol boxes for that station.
web-tech-code-title = Enrollment code
web-tech-code-expires = Works once, until { $until }.
web-tech-code-qr = The enrollment code as a QR
web-tech-command = On the box, run
web-tech-code-once = Keep it private: whoever has it can enrol a box for this station.
web-tech-dismiss = Done
web-late-too-early = Extra time for the road can be asked for from 2 hours before your slot, once you are on your way.
web-minutes-unit = min
web-nav-me = Me
web-me-language = Language of pages and messages
web-me-notify = Send me messages by
web-notify-sms = SMS
web-notify-email = E-mail
web-notify-none = No messages
web-language-en = English
web-language-hi = हिन्दी (Hindi)
web-save = Save
web-saved = Saved.
web-me-refused = That could not be saved: pick a language and a way to reach you from the lists.
web-me-vehicles = My vehicles
web-me-add-vehicle = Add vehicle
web-remove = Remove
web-removed = Removed.
web-vehicle-in-use = A live booking still needs this vehicle: cancel or use that booking first.

## The station's back office
web-lane-board = Lane board
web-office = Office
web-takings = Takings, last 14 days
web-takings-paid = Paid
web-takings-refunded = Refunded
web-takings-fees = Gateway fees
web-takings-net = Net
web-csv = Download the ledger (CSV)
web-csv-range = Pick a range of at most 92 days.
web-cases = Cases to look into
web-cases-none = Nothing to look into.
web-case-resolution = What was done
web-case-resolve = Resolve
web-case-resolved = Resolved.
web-case-not-resolved = That case is already closed, or the note is empty. Reload the page.
web-settings = Prices and refunds
web-price = Price per kg (₹)
web-fill-to-full = "Fill to full" prepays (kg)
web-refund-cutoff = Full refund until (minutes before the slot)
web-cancel-fee = Fee for a later cancellation (₹)
web-calm-discount = Discount in calm slots (₹ per kg)
web-capacity = Capacity
web-walkin-share = Room kept for expected walk-ins (%)
web-min-bookable = Places always bookable per slot
web-wait-target = Walk-in wait target (minutes)
web-reminder-lead = Remind drivers (minutes before)
web-not-a-number = enter a number, 0 or more.
web-price-history = Price history
web-staff = Staff
web-staff-none = Nobody is assigned yet.
web-role-driver = Driver
web-role-station-admin = Station admin
web-role-technician = Technician
web-role-super-admin = Super admin

## The super admin's pages
web-network = Network
web-stations-admin = Stations
web-users = Users
web-audit = Audit log
web-keys = Signing keys
web-edit = Edit
web-utilisation = Places booked today
web-no-shows = No-shows
web-walkin-share-today = Walk-ins among fills
web-forecast-error = Forecast error (arrivals an hour)
web-attention-no-box = No box
web-attention-box-stale = Box out of touch
web-attention-lanes-down = Lanes down
web-attention-cases = Cases open
web-role = Role
web-any-role = Any role
web-find = Find
web-users-none = Nobody matches.
web-change-role = Change role
web-role-changed = Role changed. Their sessions ended: the new role applies from their next sign-in, and the old one lapses with their current access (15 minutes at most).
web-role-refused = That role cannot be set here (your own role is changed by another super admin).
web-assign-station = Works at
web-assign = Assign
web-assigned = Assigned.
web-assign-refused = Only station admins and technicians are assigned to stations.
web-audit-verify-hint = Recompute the whole hash chain: an entry altered, removed or inserted breaks it.
web-audit-verify = Verify chain
web-audit-intact = The audit log is intact: { $count } entries verified.
web-audit-broken = The audit log is NOT intact
web-audit-action = Action
web-audit-target = Target
web-audit-none = No entries.
web-older = Older
web-keys-hint = Tokens are signed with one key; edges verify with all published keys. A rotated key is published first and signs after the lead time, so every edge has it by then.
web-key-signing = Signing now
web-key-next = Published, signs soon
web-key-retired = Retired, still verifies
web-key-lead = Starts signing in (hours)
web-key-rotate = Rotate the signing key
web-key-rotated = Key { $kid } published; it signs after the lead time.
web-station-new = New station
web-station-code = Code (as on its sign)
web-station-create = Create
web-station-lat = Latitude
web-station-lon = Longitude
web-station-map = See it on the map
web-station-lanes = Lanes
web-station-opens = Opens at
web-station-closes = Closes at

## Receipts
web-receipt = Receipt
web-receipt-price = Price
web-receipt-paid = Paid online
web-receipt-filled = Filled
web-receipt-fee = Kept on cancellation
web-receipt-refunded = Refunded
web-receipt-on-its-way = On its way back
web-receipt-on-its-way-hint = Refunds reach your bank or UPI account in 5 to 7 working days.
web-lane-serving = Lane { $lane }: fuelling { $vehicle } since { $since }
