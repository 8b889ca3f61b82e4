# GasQ के संदेश, हिन्दी। हर संदेश एक SMS है (अधिकतम दो हिस्से) और उसी नाम के ई-मेल का पाठ।
# Arguments as in ../en/messages.ftl.

booking-confirmed = GasQ: { $station }, { $when } बुक। कोड { $code }। लेन पर QR या कोड दिखाएँ। रद्द: CANCEL { $code }
    .subject = GasQ स्लॉट: { $station }, { $when }

booking-cancelled = GasQ: बुकिंग { $code } ({ $station }, { $when }) रद्द।{ $refund ->
        [none] {""}
       *[some] {" "}{ $refund } वापस होंगे।
    }
    .subject = GasQ बुकिंग { $code } रद्द

refund-processed = GasQ: बुकिंग { $code } के { $amount } वापस। बैंक में 5-7 दिन में।
    .subject = GasQ रिफंड { $amount }

reminder = GasQ: { $station } { $time } बजे। 1 = आ रहा हूँ, 2 = नहीं आ रहा। { $link }
    .subject = GasQ स्लॉट { $time } बजे: आ रहे हैं?

reminder-coming = GasQ: धन्यवाद, { $station } पर { $time } बजे। कोड { $code }।
    .subject = { $time } बजे मिलते हैं

lane-moved = GasQ: { $station } पर लेन बंद। बुकिंग { $code } अब { $when }। रद्द: CANCEL { $code }
    .subject = GasQ स्लॉट बदला: { $when }

your-turn = GasQ: { $station } पर आपकी बारी: लेन { $lane } पर जाएँ।
    .subject = आपकी बारी: लेन { $lane }

slot-offered = GasQ: { $station }, { $when } जगह खाली। लेने के लिए { $minutes } मिनट में YES भेजें।
    .subject = { $station } पर जगह खाली
