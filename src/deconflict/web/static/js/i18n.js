// The page's words in English, Russian and Arabic; the document's lang and dir follow.
// Alert kinds', states' and answers' labels are the service's registry's (meta.js).

import { LANGUAGES, registryWords } from "./meta.js";

export { LANGUAGES };
const RTL = new Set(["ar"]);

const WORDS = {
  en: {
    title: "deconflict — duty officer",
    "login.title": "Log in as a party",
    "login.token": "Party token",
    "login.submit": "Log in",
    "login.refused": "The token was refused",
    logout: "Log out",
    "conn.live": "live",
    "conn.connecting": "connecting…",
    "conn.offline": "offline, reconnecting…",
    language: "Language",
    inbox: "Inbox",
    "inbox.empty": "No alerts",
    messages: "Messages",
    record: "Record",
    zones: "Zones",
    in: "in {t}",
    ago: "{t} ago",
    now: "now",
    deadline: "answer by {time}",
    "deadline.left": "{t} left",
    overdue: "overdue",
    escalated: "escalated",
    "suspended.mark": "suspended, not answering: {parties}",
    "overdue.mark": "late: {parties}",
    "unanswered.mark": "unanswered at {party} for {n} min",
    "role.duty": "duty officer",
    "role.supervisor": "supervisor",
    "role.viewer": "viewer (read only)",
    "officer.present": "on watch",
    "officer.absent": "absent",
    awaiting: "awaiting",
    declared: "declared it",
    "ack.none": "no answer",
    stop: "Stop",
    "stop.sent": "Stop request sent for {subject}",
    note: "note (optional)",
    understood: "understood position: lat, lon (optional, with wilco)",
    "readback.matched": "read back within {m} m",
    "readback.mismatch": "READBACK MISMATCH: {m} m from what was declared",
    "channel.open": "Hotline open",
    "channel.suspended": "Hotline suspended by {parties}",
    "channel.by": "{party} since {time}: {reason}",
    "channel.reason": "Reason for suspending",
    suspend: "Suspend",
    resume: "Resume",
    history: "History",
    "history.suspend": "{party} suspended at {time}: {reason}",
    "history.resume": "{party} resumed at {time}",
    to: "To",
    send: "Send",
    "message.placeholder": "Message",
    "messages.empty": "No messages",
    head: "Signed tree head",
    "head.size": "Entries",
    "head.root": "Root hash",
    "head.time": "Signed at",
    "head.key": "Service key",
    "head.cosigned": "Cosigned",
    "head.cosigned.by": "by {n} of {m} parties",
    "head.cosigned.latest": "Latest cosigned",
    "head.cosigned.latest.by": "{size} entries, by {n} of {m} parties",
    "head.check": "Checked here",
    "head.check.ok": "signed by the service's key and consistent with every head seen since {time}",
    "head.check.warning": "NOT consistent: see the warning on the map",
    "head.check.unavailable": "not checked (this page needs HTTPS to use the browser's cryptography)",
    "log.inconsistent": "This head is not consistent with the one seen at {time} ({size} entries): the log was rewritten or forked. Keep the record tab's download and tell the other parties.",
    "log.signature": "This head is not signed by the service key first seen at {time}.",
    "log.key": "This head is signed by another key than the one first seen at {time}, and no key rotation in the log leads to it.",
    "log.malformed": "The service sent a malformed signed tree head.",
    refresh: "Refresh",
    export: "Download the log (JSON lines)",
    receipts: "Receipts of my answers",
    "receipts.empty": "No answers yet",
    "receipt.entry": "entry {index} of {size}",
    "zone.agreed": "agreed",
    "zone.claimed": "claimed",
    "zone.awaiting": "awaiting consent: {parties}",
    "zone.owner": "by {party}",
    consent: "Consent",
    "rule.forbid": "forbidden",
    "rule.notify": "notify before entry",
    "rule.advisory": "advisory",
    "rule.none": "no rule for you",
    "zones.empty": "No zones",
    "map.tracks": "own tracks: {n}",
    "map.fit": "Fit",
    "legend.own": "own track",
    "legend.other": "other party (in an alert)",
    "legend.path": "predicted path, 2 min",
    error: "Error: {message}",
  },
  ru: {
    title: "deconflict — дежурный офицер",
    "login.title": "Вход стороны",
    "login.token": "Токен стороны",
    "login.submit": "Войти",
    "login.refused": "Токен не принят",
    logout: "Выйти",
    "conn.live": "на связи",
    "conn.connecting": "подключение…",
    "conn.offline": "нет связи, переподключение…",
    language: "Язык",
    inbox: "Входящие",
    "inbox.empty": "Оповещений нет",
    messages: "Сообщения",
    record: "Журнал",
    zones: "Зоны",
    in: "через {t}",
    ago: "{t} назад",
    now: "сейчас",
    deadline: "ответить до {time}",
    "deadline.left": "осталось {t}",
    overdue: "просрочено",
    escalated: "эскалация",
    "suspended.mark": "приостановили участие, не отвечают: {parties}",
    "overdue.mark": "опаздывают: {parties}",
    "unanswered.mark": "без ответа у {party} уже {n} мин",
    "role.duty": "дежурный офицер",
    "role.supervisor": "старший смены",
    "role.viewer": "наблюдатель (только чтение)",
    "officer.present": "на дежурстве",
    "officer.absent": "отсутствует",
    awaiting: "ожидается",
    declared: "объявила",
    "ack.none": "нет ответа",
    stop: "Прекратить",
    "stop.sent": "Запрос прекратить {subject} отправлен",
    note: "примечание (необязательно)",
    understood: "понятое положение: широта, долгота (необязательно, с wilco)",
    "readback.matched": "подтверждено в пределах {m} м",
    "readback.mismatch": "РАСХОЖДЕНИЕ ПРИ ПОДТВЕРЖДЕНИИ: {m} м от объявленного",
    "channel.open": "Линия открыта",
    "channel.suspended": "Линия приостановлена: {parties}",
    "channel.by": "{party} с {time}: {reason}",
    "channel.reason": "Причина приостановки",
    suspend: "Приостановить",
    resume: "Возобновить",
    history: "История",
    "history.suspend": "{party} приостановила в {time}: {reason}",
    "history.resume": "{party} возобновила в {time}",
    to: "Кому",
    send: "Отправить",
    "message.placeholder": "Сообщение",
    "messages.empty": "Сообщений нет",
    head: "Подписанная вершина дерева",
    "head.size": "Записей",
    "head.root": "Корневой хеш",
    "head.time": "Подписана",
    "head.key": "Ключ сервиса",
    "head.cosigned": "Заверено",
    "head.cosigned.by": "{n} из {m} сторон",
    "head.cosigned.latest": "Последняя заверенная",
    "head.cosigned.latest.by": "записей: {size}, {n} из {m} сторон",
    "head.check": "Проверено здесь",
    "head.check.ok": "подписана ключом сервиса и согласована со всеми вершинами с {time}",
    "head.check.warning": "НЕ согласована: см. предупреждение на карте",
    "head.check.unavailable": "не проверено (странице нужен HTTPS для криптографии браузера)",
    "log.inconsistent": "Эта вершина не согласована с вершиной, полученной в {time} (записей: {size}): журнал переписан или раздвоен. Сохраните журнал и сообщите другим сторонам.",
    "log.signature": "Эта вершина не подписана ключом сервиса, впервые полученным в {time}.",
    "log.key": "Эта вершина подписана другим ключом, чем полученный впервые в {time}, и ни одна смена ключа в журнале к нему не ведёт.",
    "log.malformed": "Сервис прислал искажённую подписанную вершину дерева.",
    refresh: "Обновить",
    export: "Скачать журнал (JSON lines)",
    receipts: "Квитанции моих ответов",
    "receipts.empty": "Ответов ещё нет",
    "receipt.entry": "запись {index} из {size}",
    "zone.agreed": "согласована",
    "zone.claimed": "заявлена",
    "zone.awaiting": "ждёт согласия: {parties}",
    "zone.owner": "сторона {party}",
    consent: "Согласиться",
    "rule.forbid": "запрещено",
    "rule.notify": "уведомить до входа",
    "rule.advisory": "рекомендательно",
    "rule.none": "правил для вас нет",
    "zones.empty": "Зон нет",
    "map.tracks": "своих треков: {n}",
    "map.fit": "Показать всё",
    "legend.own": "свой трек",
    "legend.other": "другая сторона (в оповещении)",
    "legend.path": "прогноз пути, 2 мин",
    error: "Ошибка: {message}",
  },
  ar: {
    title: "deconflict — ضابط المناوبة",
    "login.title": "الدخول كطرف",
    "login.token": "رمز الطرف",
    "login.submit": "دخول",
    "login.refused": "رُفض الرمز",
    logout: "خروج",
    "conn.live": "متصل",
    "conn.connecting": "جارٍ الاتصال…",
    "conn.offline": "غير متصل، جارٍ إعادة الاتصال…",
    language: "اللغة",
    inbox: "الوارد",
    "inbox.empty": "لا توجد تنبيهات",
    messages: "الرسائل",
    record: "السجل",
    zones: "المناطق",
    in: "بعد {t}",
    ago: "منذ {t}",
    now: "الآن",
    deadline: "الرد قبل {time}",
    "deadline.left": "متبقٍ {t}",
    overdue: "متأخر",
    escalated: "مُصعَّد",
    "suspended.mark": "علّق مشاركته ولا يرد: {parties}",
    "overdue.mark": "متأخرون: {parties}",
    "unanswered.mark": "بلا رد لدى {party} منذ {n} دقيقة",
    "role.duty": "ضابط مناوب",
    "role.supervisor": "مشرف",
    "role.viewer": "مشاهد (قراءة فقط)",
    "officer.present": "في المناوبة",
    "officer.absent": "غائب",
    awaiting: "بانتظار",
    declared: "صاحب الإعلان",
    "ack.none": "لا رد",
    stop: "أوقف",
    "stop.sent": "أُرسل طلب إيقاف {subject}",
    note: "ملاحظة (اختيارية)",
    understood: "الموقع كما فُهم: خط العرض، خط الطول (اختياري، مع wilco)",
    "readback.matched": "تأكيد ضمن {m} م",
    "readback.mismatch": "عدم تطابق في التأكيد: {m} م عن المُعلن",
    "channel.open": "الخط مفتوح",
    "channel.suspended": "الخط معلّق من قبل {parties}",
    "channel.by": "{party} منذ {time}: {reason}",
    "channel.reason": "سبب التعليق",
    suspend: "تعليق",
    resume: "استئناف",
    history: "السجل الزمني",
    "history.suspend": "علّق {party} عند {time}: {reason}",
    "history.resume": "استأنف {party} عند {time}",
    to: "إلى",
    send: "إرسال",
    "message.placeholder": "رسالة",
    "messages.empty": "لا توجد رسائل",
    head: "رأس الشجرة الموقَّع",
    "head.size": "المدخلات",
    "head.root": "تجزئة الجذر",
    "head.time": "وُقّع عند",
    "head.key": "مفتاح الخدمة",
    "head.cosigned": "التوقيع المشترك",
    "head.cosigned.by": "{n} من {m} أطراف",
    "head.cosigned.latest": "آخر رأس موقَّع",
    "head.cosigned.latest.by": "{size} مدخلات، {n} من {m} أطراف",
    "head.check": "التحقق هنا",
    "head.check.ok": "موقَّع بمفتاح الخدمة ومتسق مع كل رأس منذ {time}",
    "head.check.warning": "غير متسق: انظر التحذير على الخريطة",
    "head.check.unavailable": "لم يُتحقق (تحتاج الصفحة إلى HTTPS لاستخدام تشفير المتصفح)",
    "log.inconsistent": "هذا الرأس غير متسق مع الرأس الذي شوهد في {time} ({size} مدخلات): السجل أعيدت كتابته أو تفرّع. احتفظ بنسخة السجل وأبلغ الأطراف الأخرى.",
    "log.signature": "هذا الرأس غير موقَّع بمفتاح الخدمة الذي شوهد أولاً في {time}.",
    "log.key": "هذا الرأس موقَّع بمفتاح غير الذي شوهد أولاً في {time}، ولا يؤدي إليه أي تغيير مفتاح في السجل.",
    "log.malformed": "أرسلت الخدمة رأس شجرة موقَّعاً تالفاً.",
    refresh: "تحديث",
    export: "تنزيل السجل (JSON lines)",
    receipts: "إيصالات ردودي",
    "receipts.empty": "لا ردود بعد",
    "receipt.entry": "المدخل {index} من {size}",
    "zone.agreed": "متفق عليها",
    "zone.claimed": "مُطالب بها",
    "zone.awaiting": "بانتظار موافقة: {parties}",
    "zone.owner": "من {party}",
    consent: "موافقة",
    "rule.forbid": "محظورة",
    "rule.notify": "إخطار قبل الدخول",
    "rule.advisory": "استشارية",
    "rule.none": "لا قاعدة تخصك",
    "zones.empty": "لا توجد مناطق",
    "map.tracks": "مساراتي: {n}",
    "map.fit": "عرض الكل",
    "legend.own": "مسار خاص",
    "legend.other": "طرف آخر (في تنبيه)",
    "legend.path": "المسار المتوقع، دقيقتان",
    error: "خطأ: {message}",
  },
};
for (const lang of Object.keys(WORDS)) Object.assign(WORDS[lang], registryWords(lang));

let current = "en";

/** The language in use. */
export function language() {
  return current;
}

/** Switch the page's language: words, `lang` and `dir` (rtl for Arabic). */
export function setLanguage(lang) {
  current = LANGUAGES.includes(lang) ? lang : "en";
  const root = document.documentElement;
  root.lang = current;
  root.dir = RTL.has(current) ? "rtl" : "ltr";
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  return current;
}

/** The word for `key` in the current language, `{name}` replaced from `vars`. */
export function t(key, vars = {}) {
  const text = WORDS[current][key] ?? WORDS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : ""));
}

/** The locale for Intl formatting: the language, Latin digits. */
export function locale() {
  return `${current}-u-nu-latn`;
}

/** A UTC time of day, HH:MM:SS, from POSIX milliseconds. */
export function clock(ms) {
  if (!Number.isFinite(ms)) return "—";
  return new Date(ms).toISOString().slice(11, 19) + " UTC";
}

/** A duration in seconds as [-]H:MM:SS or M:SS. */
export function duration(s) {
  const sign = s < 0 ? "-" : "";
  let v = Math.round(Math.abs(s));
  const h = Math.floor(v / 3600);
  v -= h * 3600;
  const m = Math.floor(v / 60);
  const sec = v - m * 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${sign}${h}:${pad(m)}:${pad(sec)}` : `${sign}${m}:${pad(sec)}`;
}

/** Seconds from now as "in 1:05" / "1:05 ago" / "now". */
export function relative(s) {
  if (Math.abs(s) < 0.5) return t("now");
  return s > 0 ? t("in", { t: duration(s) }) : t("ago", { t: duration(-s) });
}

/** A list of names joined for the language. */
export function list(names) {
  try {
    return new Intl.ListFormat(locale(), { type: "conjunction" }).format(names);
  } catch {
    return names.join(", ");
  }
}
