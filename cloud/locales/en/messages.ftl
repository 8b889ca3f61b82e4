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

lane-moved = GasQ: a lane at { $station } is down. Booking { $code } moved to { $when }. To cancel send CANCEL { $code }
    .subject = Your GasQ slot moved to { $when }

your-turn = GasQ: your turn at { $station }: go to lane { $lane }.
    .subject = Your turn: lane { $lane }

slot-offered = GasQ: a place is free at { $station }, { $when }. Send YES within { $minutes } min to take it.
    .subject = A place is free at { $station }
