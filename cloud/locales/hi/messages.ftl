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

lane-moved = GasQ: { $station } पर लेन बंद। बुकिंग अब { $when }, नया कोड { $code }। रद्द: CANCEL { $code }
    .subject = GasQ स्लॉट बदला: { $when }

code-changed = GasQ: { $station }, { $when } की बुकिंग अब { $until } तक। नया कोड { $code }, पुराना अब नहीं चलेगा।
    .subject = GasQ बुकिंग: नया कोड { $code }

your-turn = GasQ: { $station } पर आपकी बारी: लेन { $lane } पर जाएँ।
    .subject = आपकी बारी: लेन { $lane }

slot-offered = GasQ: { $station }, { $when } जगह खाली। लेने के लिए { $minutes } मिनट में { $channel ->
        [sms] YES भेजें।
       *[email] { $link } खोलें।
    }
    .subject = { $station } पर जगह खाली

# SMS के जवाब।
sms-booked = GasQ: { $station }, { $when } बुक। कोड { $code }। लेन पर दिखाएँ। रद्द: CANCEL { $code }
sms-rush-note = भीड़; शांत समय: { $calm }।
sms-full = GasQ: { $station } { $time } भरा। खाली: { $times }। भेजें BOOK { $station_code } { $first }
sms-nearby = या BOOK { $station_code } { $time }, { $km } किमी दूर।
sms-no-station = GasQ: स्टेशन "{ $station_code }" नहीं मिला। भेजें BOOK <स्टेशन कोड> <HH:MM>, जैसे BOOK MUM-0042 17:30
sms-need-time = GasQ: किस समय? भेजें BOOK { $station_code } <HH:MM>, जैसे BOOK { $station_code } 17:30
sms-need-vehicle = GasQ: गाड़ी नंबर जोड़ें: BOOK { $station_code } { $time } MH12AB1234
sms-refused = GasQ: बुक नहीं हुआ: { $reason }। HELP भेजें।
refusal = { $why ->
        [closed] उस समय स्टेशन बुकिंग नहीं लेता
        [full-today] उस समय के आसपास सभी स्लॉट भरे हैं
        [kg] किलो संख्या में भेजें, जैसे 8, या टंकी भरवाने के लिए छोड़ दें
        [vehicle] इस गाड़ी की उस समय के पास पहले से बुकिंग है; { $until } के बाद का समय चुनें या उसे रद्द करें
        [driver] आपके पास अधिकतम बुकिंग हैं; { $until } तक एक खाली होगी
        [rate] इस घंटे बहुत बुकिंग हुईं; { $until } के बाद फिर कोशिश करें
        [no-caller] आपका फ़ोन नंबर नहीं दिखा
       *[other] कुछ मिनट बाद फिर कोशिश करें
    }
sms-status-none = GasQ: इस नंबर पर कोई बुकिंग नहीं। बुक करें: BOOK <स्टेशन कोड> <HH:MM>
sms-status = GasQ: { $list }। रद्द: CANCEL <कोड>
sms-cancelled = GasQ: बुकिंग { $code } रद्द।
sms-not-found = GasQ: इस नंबर पर बुकिंग { $code } नहीं। STATUS भेजें।
sms-need-code = GasQ: कौन सी बुकिंग? CANCEL <कोड> भेजें; STATUS से कोड देखें।
sms-help = GasQ: बुक: BOOK <स्टेशन> <HH:MM> [kg] [गाड़ी नं.]। STATUS। CANCEL <कोड>। 1 = आ रहा, 2 = नहीं। हाँ = दी गई जगह लें।
sms-unknown = GasQ: समझ नहीं आया। HELP भेजें, जैसे BOOK MUM-0042 17:30
sms-no-reminder = GasQ: अभी कोई रिमाइंडर नहीं। STATUS भेजें।
sms-limit = GasQ: इस नंबर से बहुत संदेश। एक घंटे बाद भेजें।
sms-no-offer = GasQ: अभी आपके लिए कोई जगह नहीं। खाली होने पर SMS भेजेंगे।

# फ़ोन लाइन (IVR), बोली जाती है।
ivr-language = हिंदी के लिए 1 दबाएँ।
ivr-station = स्टेशन के बोर्ड पर लिखा कोड कीपैड पर डालें, अक्षर उनकी कुंजी पर: M U M 0 0 4 2 के लिए 6 8 6 0 0 4 2 दबाएँ। फिर हैश दबाएँ।
ivr-time = समय चार अंकों में डालें, जैसे शाम साढ़े पाँच के लिए 1 7 3 0।
ivr-kg = किलो डालें, या पूरी टंकी के लिए 0, फिर हैश दबाएँ।
ivr-confirm = { $station }, { $time } बजे, { $kg }। बुक करने के लिए 1 दबाएँ। फिर से शुरू करने के लिए 2।
ivr-fill = पूरी टंकी
ivr-kilos = { $kg } किलो
ivr-booked = बुक हो गया। आपका कोड है { $code }। हम इसे SMS से भेज रहे हैं। धन्यवाद।
ivr-full = वह समय भरा है। सबसे पास का खाली समय { $first } है। समय चार अंकों में डालें।
ivr-no-station = इस नंबर का कोई स्टेशन नहीं है।
ivr-bad-time = उस समय स्टेशन बुकिंग नहीं लेता।
ivr-wrong = माफ़ कीजिए, यह विकल्प नहीं है।
ivr-goodbye = माफ़ कीजिए, हम समझ नहीं पाए। फिर से कॉल करें, या SMS में HELP भेजें। धन्यवाद।
ivr-already = इस कॉल से बुकिंग हो चुकी है। कोड SMS से आ रहा है। धन्यवाद।
ivr-refused = बुक नहीं हो सका: { $reason }। धन्यवाद।

# वेब पेज (cloud/src/web)।
web-nav-stations = स्टेशन
web-nav-bookings = मेरी बुकिंग
web-nav-sign-in = साइन इन
web-nav-sign-out = साइन आउट
web-sign-in-title = साइन इन
web-login-label = फ़ोन या ई-मेल
web-password-label = पासवर्ड
web-sign-in = साइन इन
web-no-account = GasQ पर नए हैं?
web-register = खाता बनाएँ
web-register-title = अपना खाता बनाएँ
web-name-label = आपका नाम
web-phone-label = मोबाइल नंबर
web-email-label = ई-मेल
web-password-hint = कम से कम 8 अक्षर।
web-have-account = पहले से खाता है?
web-wrong-credentials = फ़ोन, ई-मेल या पासवर्ड सही नहीं है। जाँचकर फिर कोशिश करें।
web-too-many = बहुत बार कोशिश हुई। { $seconds } सेकंड रुकें, फिर कोशिश करें।
web-slow-down = इस नेटवर्क से बहुत अनुरोध आए। एक मिनट रुकें, फिर कोशिश करें।
web-account-exists = इस फ़ोन या ई-मेल का खाता पहले से है। साइन इन करें।
web-try-later = हमारी ओर से कुछ गड़बड़ हुई। एक मिनट बाद फिर कोशिश करें।
web-form-expired-title = फिर से कोशिश करें
web-form-expired = यह फ़ॉर्म बहुत देर खुला रहा, या किसी और साइट से आया। पीछे जाएँ, पेज रीलोड करें और फिर भेजें।
web-not-found = नहीं मिला
web-stations-title = CNG स्टेशन
web-use-location = पास वाले पहले दिखाएँ
web-now = अभी
web-next-free = अगला खाली स्लॉट
web-none-free-today = आज कोई स्लॉट खाली नहीं
web-no-stations = अभी कोई स्टेशन नहीं।
web-directions = रास्ता
web-days = दिन
web-rush-low = शांत
web-rush-medium = व्यस्त
web-rush-high = भीड़
web-rush-unknown = खुला
web-full = भरा
web-free = खाली
web-no-slots-left = इस दिन कोई स्लॉट नहीं बचा। दूसरा दिन चुनें।
web-book-title = { $time } बुक करें
web-price-per-kg = { $price } प्रति किलो।
web-sign-in-to-book = यह स्लॉट बुक करने के लिए साइन इन करें।
web-vehicle-label = गाड़ी
web-another-vehicle = दूसरी गाड़ी…
web-registration-label = गाड़ी नंबर (नई गाड़ी के लिए)
web-kg-label = किलो
web-kg-fill = टंकी भरवाने के लिए खाली छोड़ें
web-pay-label = भुगतान
web-pay-at-station = स्टेशन पर
web-pay-online = अभी ऑनलाइन (UPI, कार्ड)
web-book = बुक करें
web-rush-nudge = यह भीड़ का समय है: कतार मिल सकती है। पास के शांत समय:
web-bad-registration = गाड़ी नंबर सही नहीं लगता। ऐसे लिखें: MH12AB1234।
web-pick-vehicle = अपनी गाड़ी चुनें, या नई गाड़ी का नंबर लिखें।
web-bad-kg = किलो संख्या में लिखें, जैसे 8, या टंकी भरवाने के लिए खाली छोड़ें।
web-slot-full = यह स्लॉट अभी भर गया। नीचे दूसरा समय चुनें।
web-bookings-title = मेरी बुकिंग
web-no-bookings = अभी कोई बुकिंग नहीं।
web-code = कोड
web-booking-title = आपकी बुकिंग
web-qr-alt = आपकी बुकिंग का QR कोड: लेन पर दिखाएँ
web-valid-window = { $from } से { $until } तक मान्य
web-code-hint = QR नहीं? अटेंडेंट को यह कोड बताएँ:
web-pay-now = अभी भुगतान करें
web-coming-question = क्या आप आ रहे हैं?
web-coming-noted = धन्यवाद: स्टेशन आपका इंतज़ार करेगा।
web-coming = आ रहा हूँ
web-not-coming = नहीं आ रहा (रद्द करें)
web-running-late = देर हो रही है?
web-late-ok = आपके टोकन में रास्ते के लिए { $minutes } मिनट और जुड़ गए।
web-late-refused = इस स्लॉट के लिए और समय नहीं दे सके। न पहुँच सकें तो बाद का स्लॉट बुक करें।
web-cancel = बुकिंग रद्द करें
web-cancelled = रद्द हो गई। कोई रिफ़ंड हो तो आ रहा है।
web-cannot-cancel = यह बुकिंग अब रद्द नहीं हो सकती।
web-status-pending-payment = भुगतान बाकी
web-status-confirmed = पक्की
web-status-redeemed = लेन पर
web-status-completed = गैस भरी
web-status-cancelled = रद्द
web-status-expired = समाप्त
web-status-no-show = नहीं आए
web-board-stale = यह बोर्ड ताज़ा नहीं है: स्टेशन के बॉक्स ने कुछ देर से खबर नहीं दी।
web-board-waiting = अभी कतार में
web-board-wait = बिना बुकिंग इंतज़ार लगभग
web-board-lanes = लेन
web-board-lane = लेन
web-board-lane-up = खुली
web-board-lane-down = बंद
web-board-lane-unknown = खुली, पुष्टि नहीं
web-board-calm = बुक करने के शांत स्लॉट
web-board-no-calm = आज कोई नहीं बचा: कल देखें।
web-forbidden = यह पेज स्टेशन स्टाफ़ के लिए है।
web-edge-online = स्टेशन का बॉक्स ऑनलाइन है: यह बोर्ड ताज़ा है।
web-edge-stale = स्टेशन के बॉक्स ने { $minutes } मिनट से खबर नहीं दी: लेन और कतार पुरानी हो सकती है। उसकी बिजली और नेटवर्क जाँचें।
web-edge-none = इस स्टेशन का कोई बॉक्स खबर नहीं दे रहा: लेन और कतार अज्ञात हैं। तकनीशियन /tech पर एक जोड़ सकता है।
web-lanes-in-service = { $all } में से { $up } लेन चालू।
web-lane-out = एक लेन बंद करें
web-lane-back = एक लेन फिर चालू करें
web-lanes-saved = सहेजा गया। जो बुकिंग अब नहीं समातीं, वे बदली या रिफ़ंड की गईं।
web-today = आज
web-today-booked = बुक
web-today-fills = भराई
web-today-walkins = बिना बुकिंग
web-forecast-vs-actual = आज: अनुमानित और असली आगमन
web-chart-expected = अनुमान
web-chart-actual = आए
web-expected = अगले दो घंटे में आने वाले
web-search-label = कोड या गाड़ी नंबर से खोजें
web-expected-none = कोई बुकिंग नहीं।
web-nav-lane-boards = लेन बोर्ड
web-nav-tech = बॉक्स
web-tech-title = स्टेशन बॉक्स
web-tech-no-stations = अभी आपको कोई स्टेशन नहीं सौंपा गया: सुपर एडमिन से कहें।
web-tech-no-box = यहाँ कोई बॉक्स नहीं जुड़ा: कोड बनाकर एक जोड़ें।
web-tech-box-online = ऑनलाइन: अभी क्लाउड से खबर ली।
web-tech-box-stale = { $minutes } मिनट से चुप: बिजली, नेटवर्क और घड़ी जाँचें।
web-tech-box-never = जुड़ा है, पर कभी खबर नहीं ली: उस पर gasq-edge run चलाएँ।
web-tech-revoke = यह बॉक्स हटाएँ
web-tech-revoked = हटाया गया: अगली बार बॉक्स को मना होगा।
web-tech-revoke-refused = यह बॉक्स नहीं हट सका: यह आपके किसी स्टेशन का नहीं।
web-tech-new-code = एनरोलमेंट कोड बनाएँ
web-tech-code-refused = आप उस स्टेशन के बॉक्स नहीं जोड़ सकते।
web-tech-code-title = एनरोलमेंट कोड
web-tech-code-expires = एक बार चलेगा, { $until } तक।
web-tech-code-qr = एनरोलमेंट कोड QR के रूप में
web-tech-command = बॉक्स पर चलाएँ
web-tech-code-once = इसे गुप्त रखें: जिसके पास यह है, वह इस स्टेशन का बॉक्स जोड़ सकता है।
web-tech-dismiss = हो गया
web-late-too-early = रास्ते के लिए अतिरिक्त समय स्लॉट से 2 घंटे पहले से माँग सकते हैं, जब आप निकल चुके हों।
web-minutes-unit = मिनट
web-nav-me = मैं
web-me-language = पेज और संदेशों की भाषा
web-me-notify = संदेश भेजें
web-notify-sms = SMS से
web-notify-email = ई-मेल से
web-notify-none = कोई संदेश नहीं
web-language-en = English (अंग्रेज़ी)
web-language-hi = हिन्दी
web-save = सहेजें
web-saved = सहेजा गया।
web-me-refused = सहेजा नहीं जा सका: सूची से भाषा और संदेश का तरीका चुनें।
web-me-vehicles = मेरी गाड़ियाँ
web-me-add-vehicle = गाड़ी जोड़ें
web-remove = हटाएँ
web-removed = हटाई गई।
web-vehicle-in-use = इस गाड़ी की बुकिंग अभी चालू है: पहले उसे रद्द करें या इस्तेमाल करें।

## स्टेशन का दफ़्तर
web-lane-board = लेन बोर्ड
web-office = दफ़्तर
web-takings = कमाई, पिछले 14 दिन
web-takings-paid = भुगतान
web-takings-refunded = रिफ़ंड
web-takings-fees = गेटवे शुल्क
web-takings-net = शुद्ध
web-csv = खाता डाउनलोड करें (CSV)
web-csv-range = ज़्यादा से ज़्यादा 92 दिन की अवधि चुनें।
web-cases = जाँचने वाले मामले
web-cases-none = जाँचने को कुछ नहीं।
web-case-resolution = क्या किया गया
web-case-resolve = सुलझाएँ
web-case-resolved = सुलझा दिया।
web-case-not-resolved = यह मामला पहले ही बंद है, या नोट ख़ाली है। पेज फिर से खोलें।
web-settings = दाम और रिफ़ंड
web-price = प्रति किलो दाम (₹)
web-fill-to-full = "फ़ुल टैंक" का अग्रिम (किलो)
web-refund-cutoff = पूरा रिफ़ंड (स्लॉट से इतने मिनट पहले तक)
web-cancel-fee = बाद में रद्द करने का शुल्क (₹)
web-calm-discount = शांत स्लॉट में छूट (₹ प्रति किलो)
web-capacity = क्षमता
web-walkin-share = बिना बुकिंग आने वालों के लिए जगह (%)
web-min-bookable = हर स्लॉट में हमेशा बुक होने वाली जगहें
web-wait-target = बिना बुकिंग वालों का इंतज़ार लक्ष्य (मिनट)
web-reminder-lead = ड्राइवरों को याद दिलाएँ (मिनट पहले)
web-not-a-number = 0 या उससे बड़ी संख्या लिखें।
web-price-history = दामों का इतिहास
web-staff = कर्मचारी
web-staff-none = अभी कोई नियुक्त नहीं।
web-role-driver = ड्राइवर
web-role-station-admin = स्टेशन एडमिन
web-role-technician = तकनीशियन
web-role-super-admin = सुपर एडमिन

## सुपर एडमिन के पेज
web-network = नेटवर्क
web-stations-admin = स्टेशन
web-users = उपयोगकर्ता
web-audit = ऑडिट लॉग
web-keys = हस्ताक्षर कुंजियाँ
web-edit = बदलें
web-utilisation = आज बुक हुई जगहें
web-no-shows = नहीं आए
web-walkin-share-today = भराई में बिना बुकिंग वाले
web-forecast-error = पूर्वानुमान की चूक (प्रति घंटा आगमन)
web-attention-no-box = कोई बॉक्स नहीं
web-attention-box-stale = बॉक्स से संपर्क नहीं
web-attention-lanes-down = लेन बंद
web-attention-cases = खुले मामले
web-role = भूमिका
web-any-role = कोई भी भूमिका
web-find = खोजें
web-users-none = कोई मेल नहीं खाता।
web-change-role = भूमिका बदलें
web-role-changed = भूमिका बदल गई। उनके सत्र ख़त्म हुए: नई भूमिका अगले साइन इन से लागू होगी, और पुरानी मौजूदा पहुँच के साथ (ज़्यादा से ज़्यादा 15 मिनट में) ख़त्म होगी।
web-role-refused = यह भूमिका यहाँ नहीं दी जा सकती (अपनी भूमिका कोई दूसरा सुपर एडमिन बदलता है)।
web-assign-station = यहाँ काम करते हैं
web-assign = नियुक्त करें
web-assigned = नियुक्त किया।
web-assign-refused = स्टेशनों पर केवल स्टेशन एडमिन और तकनीशियन नियुक्त होते हैं।
web-audit-verify-hint = पूरी हैश शृंखला फिर से जाँचें: कोई प्रविष्टि बदली, हटाई या जोड़ी गई हो तो वह टूटती है।
web-audit-verify = शृंखला जाँचें
web-audit-intact = ऑडिट लॉग सही है: { $count } प्रविष्टियाँ जाँची गईं।
web-audit-broken = ऑडिट लॉग सही नहीं है
web-audit-action = कार्य
web-audit-target = लक्ष्य
web-audit-none = कोई प्रविष्टि नहीं।
web-older = पुराने
web-keys-hint = टोकन एक कुंजी से हस्ताक्षरित होते हैं; एज सभी प्रकाशित कुंजियों से जाँचते हैं। नई कुंजी पहले प्रकाशित होती है और तय समय बाद हस्ताक्षर करती है, ताकि तब तक हर एज के पास हो।
web-key-signing = अभी हस्ताक्षर कर रही है
web-key-next = प्रकाशित, जल्द हस्ताक्षर करेगी
web-key-retired = सेवानिवृत्त, अब भी जाँचती है
web-key-lead = हस्ताक्षर शुरू (घंटों में)
web-key-rotate = हस्ताक्षर कुंजी बदलें
web-key-rotated = कुंजी { $kid } प्रकाशित; तय समय बाद हस्ताक्षर करेगी।
web-station-new = नया स्टेशन
web-station-code = कोड (बोर्ड पर जैसा)
web-station-create = बनाएँ
web-station-lat = अक्षांश
web-station-lon = देशांतर
web-station-map = नक्शे पर देखें
web-station-lanes = लेन
web-station-opens = खुलता है
web-station-closes = बंद होता है

## रसीद
web-receipt = रसीद
web-receipt-price = दाम
web-receipt-paid = ऑनलाइन भुगतान
web-receipt-filled = भरा गया
web-receipt-fee = रद्द करने पर रखा गया
web-receipt-refunded = रिफ़ंड हुआ
web-receipt-on-its-way = वापस आ रहा है
web-receipt-on-its-way-hint = रिफ़ंड 5 से 7 कार्यदिवस में आपके बैंक या UPI खाते में पहुँचता है।
web-lane-serving = लेन { $lane }: { $vehicle } में गैस भर रहे हैं, { $since } से
