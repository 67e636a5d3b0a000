#!/usr/bin/env python3
"""Writes the personal-data corpus that tests/redaction.rs scores callgauge's redaction on.

Two splits, each in English and Russian: `dev.jsonl` (tune the rules on it) and `test.jsonl`
(report on it; its templates, cue phrasings and number styles are different ones, written
apart from the dev set). Every line is one utterance as Whisper could write it:

    {"lang": "en", "speaker": "customer", "text": "...", "kind": "card",
     "secrets": ["4276380012345678"]}        # what must not survive (see below)
    {"lang": "ru", "speaker": "customer", "text": "...", "kind": null, "secrets": []}
                                             # a look-alike: must come out unchanged

A secret of digits leaks when any 6 of its digits in a row (all of it, if shorter) are among
the redacted text's digits; a secret of several words (a number spoken as words) leaks when
any 3 of its words in a row survive; a one-word secret (a surname, a street, an e-mail user)
leaks when the word survives. Kinds: card, phone, email, passport, snils, inn, account, name,
address. Numbers are written
in digits (grouped or not) or spoken as words — digit by digit, in pairs, or as Russians say
phone numbers (908 12 34 → «девятьсот восемь двенадцать тридцать четыре»). This script has its
own number-to-words; it shares no code or word list with callgauge.

    python3 tests/data/pii/generate.py          # rewrites dev.jsonl and test.jsonl
"""

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ------------------------------------------------------------------ numbers as words

EN_UNITS = "zero one two three four five six seven eight nine".split()
EN_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
EN_TENS = [None, None, "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def en_number(n):
    if n < 10:
        return EN_UNITS[n]
    if n < 20:
        return EN_TEENS[n - 10]
    if n < 100:
        return EN_TENS[n // 10] + ("" if n % 10 == 0 else "-" + EN_UNITS[n % 10])
    if n < 1000:
        rest = n % 100
        return EN_UNITS[n // 100] + " hundred" + ("" if rest == 0 else " " + en_number(rest))
    rest = n % 1000
    return en_number(n // 1000) + " thousand" + ("" if rest == 0 else " " + en_number(rest))


RU_UNITS = "ноль один два три четыре пять шесть семь восемь девять".split()
RU_TEENS = ("десять одиннадцать двенадцать тринадцать четырнадцать пятнадцать шестнадцать "
            "семнадцать восемнадцать девятнадцать").split()
RU_TENS = [None, None, "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят",
           "восемьдесят", "девяносто"]
RU_HUNDREDS = [None, "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот",
               "восемьсот", "девятьсот"]


def ru_number(n):
    if n < 10:
        return RU_UNITS[n]
    if n < 20:
        return RU_TEENS[n - 10]
    if n < 100:
        return RU_TENS[n // 10] + ("" if n % 10 == 0 else " " + RU_UNITS[n % 10])
    if n < 1000:
        rest = n % 100
        return RU_HUNDREDS[n // 100] + ("" if rest == 0 else " " + ru_number(rest))
    thousands, rest = divmod(n, 1000)
    word = "тысяча" if thousands % 10 == 1 and thousands % 100 != 11 else (
        "тысячи" if thousands % 10 in (2, 3, 4) and thousands % 100 not in (12, 13, 14) else "тысяч")
    head = {1: "одна", 2: "две"}.get(thousands, None) if thousands < 3 else ru_number(thousands)
    return f"{head or ru_number(thousands)} {word}" + ("" if rest == 0 else " " + ru_number(rest))


def spoken(lang, digits, rng, style=None):
    """Digits as a person dictates them: one by one, or in groups read as numbers."""
    style = style or rng.choice(["single", "pairs", "groups"])
    words = en_number if lang == "en" else ru_number
    if style == "single":
        out = []
        for d in digits:
            if lang == "en" and d == "0" and rng.random() < 0.5:
                out.append("oh")
            else:
                out.append(words(int(d)))
        return " ".join(out)
    size = 2 if style == "pairs" else 3
    chunks, i = [], 0
    while i < len(digits):
        chunk = digits[i:i + size]
        i += size
        if chunk.startswith("0"):  # "0" first is said on its own: "oh four", «ноль четыре»
            chunks.extend(words(int(c)) for c in chunk)
        else:
            chunks.append(words(int(chunk)))
    return " ".join(chunks)


def grouped(digits, sizes, sep=" "):
    out, i = [], 0
    for s in sizes:
        out.append(digits[i:i + s])
        i += s
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(out)


# ------------------------------------------------------------------ valid numbers

def luhn_complete(body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def card(rng):
    prefix = rng.choice(["4276", "5469", "2200", "4111", "5536", "2202", "4817"])
    length = rng.choice([16, 16, 16, 16, 13, 19])
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    return luhn_complete(body)


def snils(rng):
    while True:
        nine = "".join(str(rng.randrange(10)) for _ in range(9))
        if int(nine) > 1001998:
            break
    s = sum(int(d) * (9 - i) for i, d in enumerate(nine))
    check = s if s < 100 else (0 if s in (100, 101) else s % 101)
    if check == 100:
        check = 0
    return nine + f"{check:02d}"


def inn(rng, length):
    def ctl(ds, weights):
        return str(sum(int(d) * w for d, w in zip(ds, weights)) % 11 % 10)
    if length == 10:
        nine = "".join(str(rng.randrange(10)) for _ in range(9))
        return nine + ctl(nine, [2, 4, 10, 3, 5, 9, 4, 6, 8])
    ten = "".join(str(rng.randrange(10)) for _ in range(10))
    eleven = ten + ctl(ten, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    return eleven + ctl(eleven, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])


def ru_mobile(rng):
    return "9" + "".join(str(rng.randrange(10)) for _ in range(9))


def digits(rng, n):
    return str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(n - 1))


# ------------------------------------------------------------------ utterances

EN_FIRST = ["Sarah", "Michael", "Priya", "Tom", "Olga", "James", "Fatima", "Daniel", "Chloe", "Viktor"]
EN_LAST = ["Whitfield", "O'Connor", "Nakamura", "Brennan", "Kowalski", "Hughes", "Abernathy", "Lindqvist"]
RU_FIRST = ["Ирина", "Сергей", "Наталья", "Дмитрий", "Алексей", "Екатерина", "Павел", "Ольга"]
RU_LAST = ["Смирнова", "Кузнецов", "Воронцова", "Лебедев", "Григорьев", "Соколова", "Морозов"]
RU_PATR = ["Петрович", "Андреевна", "Игоревич", "Сергеевна", "Николаевич"]
EN_STREETS = ["Baker Street", "Maple Avenue", "Old Mill Road", "Queensway", "Elm Drive", "Harbour Lane"]
RU_STREETS = ["улица Ленина", "проспект Мира", "Садовая улица", "улица Гагарина", "Лесной переулок"]
EN_USERS = ["john.miller", "kate_s", "ops", "p.nakamura", "billing", "dan.h"]
EN_DOMAINS = [("gmail", "com"), ("outlook", "com"), ("acme-logistics", "co.uk"), ("yandex", "ru")]
RU_USERS = ["ivan.petrov", "sales", "n.smirnova", "info", "olga77"]
RU_DOMAINS = [("mail", "ru"), ("yandex", "ru"), ("gmail", "com"), ("stroymarket", "рф")]

RU_SPOKEN_DOMAIN = {"mail": "мейл", "yandex": "яндекс", "gmail": "джимейл", "stroymarket": "строймаркет"}
RU_SPOKEN_TLD = {"ru": "ру", "com": "ком", "рф": "рф"}


def en_email(rng, written):
    user, (dom, tld) = rng.choice(EN_USERS), rng.choice(EN_DOMAINS)
    if written:
        return f"{user}@{dom}.{tld}", [f"{user}@{dom}.{tld}"]
    u = user.replace(".", " dot ").replace("_", " underscore ")
    t = tld.replace(".", " dot ")
    return f"{u} at {dom} dot {t}", [user.split(".")[-1].split("_")[0], dom]


def ru_email(rng, written):
    user, (dom, tld) = rng.choice(RU_USERS), rng.choice(RU_DOMAINS)
    if written:
        return f"{user}@{dom}.{tld}", [f"{user}@{dom}.{tld}"]
    u = user.replace(".", " точка ")
    d = RU_SPOKEN_DOMAIN.get(dom, dom)
    return f"{u} собака {d} точка {RU_SPOKEN_TLD.get(tld, tld)}", [user.split(".")[-1], d]


def make(rng, split):
    """The utterances of one split; dev and test draw on different templates."""
    rows = []

    def add(lang, kind, text, secrets, speaker="customer"):
        rows.append({"lang": lang, "speaker": speaker, "kind": kind, "text": text,
                     "secrets": secrets})

    dev = split == "dev"
    # ---- cards
    en_card = (["Sure, my card number is {n}.", "It's {n}, expiry next May.",
                "The card is {n}."] if dev else
               ["OK the long number on the front is {n}", "Visa, {n}, and the security code you don't need right?",
                "Let me read it out: {n}."])
    ru_card = (["Номер карты {n}.", "Да, записывайте: {n}.", "Карта {n}, срок до двадцать седьмого."] if dev else
               ["Так, номер у неё {n}, это Сбербанк.", "Пишите {n}", "Давайте по карте: {n}, правильно?"])
    for i in range(20):
        for lang, templates in (("en", en_card), ("ru", ru_card)):
            n = card(rng)
            form = i % 4
            if form == 0:
                shown = n
            elif form == 1:
                shown = grouped(n, [4, 4, 4, 4], rng.choice([" ", "-"]))
            else:
                shown = spoken(lang, n, rng, "single" if form == 2 else rng.choice(["pairs", "groups"]))
            add(lang, "card", rng.choice(templates).format(n=shown),
                [n] if form < 2 else [shown])
    # ---- phones
    en_phone = (["You can reach me on {n}.", "My number is {n}.", "Call me back at {n} after five."] if dev else
                ["Best is my mobile, {n}", "It's {n}, that's my direct line.", "Text {n} if I don't pick up."])
    ru_phone = (["Мой телефон {n}.", "Перезвоните мне на {n}.", "Запишите номер: {n}."] if dev else
                ["Лучше на мобильный, {n}", "Вот мой номер {n}, звоните после обеда.", "Да, {n}, это рабочий."])
    for i in range(20):
        for lang, templates in (("en", en_phone), ("ru", ru_phone)):
            form = i % 5
            if lang == "ru":
                mobile = ru_mobile(rng)
                full = "8" + mobile if rng.random() < 0.5 else "7" + mobile
                if form == 0:
                    shown = ("+7 " if full[0] == "7" else "8 ") + f"({mobile[:3]}) {mobile[3:6]}-{mobile[6:8]}-{mobile[8:]}"
                elif form == 1:
                    shown = ("+7" if full[0] == "7" else "8") + mobile
                elif form == 2:
                    shown = ("+7 " if full[0] == "7" else "8 ") + grouped(mobile, [3, 3, 2, 2])
                else:
                    parts = [mobile[:3], mobile[3:6], mobile[6:8], mobile[8:]]
                    head = "плюс семь" if full[0] == "7" else "восемь"
                    shown = head + " " + " ".join(
                        spoken("ru", p, rng, "groups" if len(p) == 3 else "pairs") for p in parts)
                secret = [mobile] if form < 3 else [shown.split(" ", 2)[2]]
            else:
                us = digits(rng, 3).replace("1", "2", 1) + digits(rng, 7)
                if form == 0:
                    shown = f"({us[:3]}) {us[3:6]}-{us[6:]}"
                elif form == 1:
                    shown = f"+1 {us[:3]} {us[3:6]} {us[6:]}"
                elif form == 2:
                    uk = "07" + "".join(str(rng.randrange(10)) for _ in range(9))
                    shown, us = f"{uk[:5]} {uk[5:]}", uk
                else:
                    shown = spoken("en", us, rng, "single")
                secret = [us] if form < 3 else [shown]
            add(lang, "phone", rng.choice(templates).format(n=shown), secret)
    # ---- e-mails
    en_mail = (["Send it to {e} please.", "My email is {e}.", "Use {e} for the invoice."] if dev else
               ["Sure, it's {e}", "Drop me a line at {e}, I check it daily.", "The address is {e}, all lower case."])
    ru_mail = (["Почта {e}.", "Отправьте на {e}, пожалуйста.", "Мой имейл {e}."] if dev else
               ["Пишите на {e}", "Электронка у меня {e}, проверяю каждый день.", "Да, {e}, всё маленькими."])
    for i in range(20):
        e, secret = en_email(rng, i % 2 == 0)
        add("en", "email", rng.choice(en_mail).format(e=e), secret)
        e, secret = ru_email(rng, i % 2 == 0)
        add("ru", "email", rng.choice(ru_mail).format(e=e), secret)
    # ---- documents: passport, SNILS, INN, account
    for i in range(10):
        series, number = digits(rng, 4), "".join(str(rng.randrange(10)) for _ in range(6))
        t = (["Паспорт {s} {n}.", "Серия {s}, номер {n}."] if dev else
             ["Паспортные данные: серия {s} номер {n}", "Паспорт у меня {s} {n}, выдан в две тысячи пятнадцатом."])
        add("ru", "passport", rng.choice(t).format(s=grouped(series, [2, 2]), n=number), [number])
        pn = rng.choice(["", "AB", "K"]) + "".join(str(rng.randrange(10)) for _ in range(9 if i % 2 else 8))
        t = (["My passport number is {n}.", "Passport {n}."] if dev else
             ["The passport number, it's {n}", "Here's my passport number: {n}."])
        add("en", "passport", rng.choice(t).format(n=pn), [pn])
        s = snils(rng)
        t = (["СНИЛС {n}.", "Мой СНИЛС {n}."] if dev else ["Страховой номер, СНИЛС: {n}", "СНИЛС у меня {n}, проверьте."])
        add("ru", "snils", rng.choice(t).format(n=f"{s[:3]}-{s[3:6]}-{s[6:9]} {s[9:]}" if i % 2 else s), [s])
        n = inn(rng, 12 if i % 2 else 10)
        t = (["ИНН {n}.", "Наш ИНН {n}."] if dev else ["ИНН компании {n}", "Записывайте ИНН: {n}."])
        add("ru", "inn", rng.choice(t).format(n=n), [n])
        acct = "40702810" + "".join(str(rng.randrange(10)) for _ in range(12))
        t = (["Расчётный счёт {n}.", "Счёт {n}."] if dev else ["Наш расчётный счёт {n}, Сбербанк", "Р/с {n}."])
        add("ru", "account", rng.choice(t).format(n=acct), [acct])
        tax = digits(rng, 9)
        t = (["My tax ID is {n}.", "The account number is {n}."] if dev else
             ["Our account number is {n}", "Social security number {n}."])
        add("en", "account", rng.choice(t).format(n=f"{tax[:3]}-{tax[3:5]}-{tax[5:]}"), [tax])
    # ---- names (customer's own) and addresses
    en_name = (["My name is {f} {l}.", "Hi, this is {f} {l} from accounts."] if dev else
               ["Yeah, {f} {l} speaking.", "It's {f}, {f} {l}.", "The name's {l}, {f} {l}."])
    ru_name = (["Меня зовут {f} {l}.", "Это {f} {l}, бухгалтерия."] if dev else
               ["Да, {l} {f} {p}, слушаю.", "Моя фамилия {l}, зовут {f}.", "{f} {p}, меня так зовут."])
    for i in range(20):
        f, l = rng.choice(EN_FIRST), rng.choice(EN_LAST)
        add("en", "name", rng.choice(en_name).format(f=f, l=l), [l])
        f, l, p = rng.choice(RU_FIRST), rng.choice(RU_LAST), rng.choice(RU_PATR)
        t = rng.choice(ru_name)
        add("ru", "name", t.format(f=f, l=l, p=p), [l] if "{l}" in t else [p])
    en_addr = (["I live at {h} {s}, flat {a}.", "My address is {h} {s}."] if dev else
               ["Deliver it to {h} {s}, it's the blue door.", "We're at {h} {s}, unit {a}, round the back."])
    ru_addr = (["Мой адрес: {s}, дом {h}, квартира {a}.", "Живу на {s}, {h}, кв. {a}."] if dev else
               ["Доставка по адресу {s}, дом {h}, корпус 2, квартира {a}", "Мы находимся: {s}, {h}, офис {a}."])
    for i in range(20):
        h, a = rng.randrange(1, 240), rng.randrange(1, 120)
        s = rng.choice(EN_STREETS)
        add("en", "address", rng.choice(en_addr).format(h=h, s=s, a=a), [s.split()[0]])
        s = rng.choice(RU_STREETS)
        add("ru", "address", rng.choice(ru_addr).format(h=h, s=s, a=a), [s.split()[-1] if s.startswith("улица") else s.split()[0]])
    # ---- the agent's own introduction stays
    for f in EN_FIRST[:4] if dev else EN_FIRST[4:8]:
        add("en", None, f"Good morning, my name is {f} and I'm calling from Northwind.", [], "agent")
    for f in RU_FIRST[:4] if dev else RU_FIRST[4:8]:
        add("ru", None, f"Добрый день, меня зовут {f}, компания «Северный ветер».", [], "agent")
    # ---- look-alikes: must stay
    en_keep = ([
        "That comes to 1,250 dollars a month.", "We ordered 500 units in March.", "Let's meet at 10:30 on Tuesday.",
        "The contract runs from 01.03.2026 to 28.02.2027.", "It's about twelve thousand five hundred a year.",
        "We have 14 trucks and 32 drivers.", "Order 4471 arrived on the 5th.", "Around 2,400 calls a day.",
        "Two hundred and fifty thousand in total.", "We moved in 2019, so seven years ago.",
        "Call me at three, I'm at the office until five.", "I'm at home on Fridays.", "Version 2.14.3 is the current one.",
        "Twenty-four seven support, ninety nine point nine percent uptime.", "The price went from 980 to 1,150.",
        "Room 204, second floor.", "We need 3 licences for 12 months.", "That's 15 % off list.",
        "Page 12 of the contract, clause 4.2.", "Between 9 and 18 every weekday.",
    ] if dev else [
        "The budget is 1,800,000 for the year.", "Can we do 45 minutes at 11:15?", "We run 3 shifts, 8 hours each.",
        "Fifty-two stores across the region.", "Invoice dated 12.11.2026, due in 30 days.",
        "We're looking at 2027 for the rollout.", "About nine hundred orders a week.", "I'm at a conference until Thursday.",
        "Plan B is 4,990 per seat.", "Chapter 3, page 118.", "One hundred and twenty units, twice a month.",
        "That saves maybe 6 or 7 hours.", "The 2024 model, 16 gigabytes.", "Thirty five thousand euros, tops.",
        "Item 12, quantity 400.", "Meet on the 14th at 2 pm.", "It took 48 hours last time.",
        "Ten to fifteen percent more.", "Three hundred sixty five days a year.", "Order of 2,500 boxes.",
    ])
    ru_keep = ([
        "Это сто двадцать тысяч рублей в год.", "Нам нужно 500 коробок в месяц.", "Давайте созвонимся в 15:30.",
        "Договор с 01.03.2026 по 28.02.2027.", "Около двух тысяч звонков в день.", "У нас 14 машин и 32 водителя.",
        "Заказ 4471 пришёл пятого числа.", "Цена 1 250 000 рублей с НДС.", "Мы работаем с 2015 года.",
        "Скидка 15 процентов.", "Двести пятьдесят штук, не больше.", "С девяти до шести по будням.",
        "Офис на третьем этаже, кабинет 305.", "Версия 3.2 уже вышла.", "Это примерно сорок пять минут.",
        "Тридцать три тысячи в месяц.", "Пункт 4.2 договора.", "На 12 месяцев, 3 лицензии.",
        "Я буду в офисе до пяти.", "Поставка 24 числа.",
    ] if dev else [
        "Бюджет миллион восемьсот на год.", "Можно в 11:15 на сорок минут?", "Три смены по восемь часов.",
        "Пятьдесят два магазина по области.", "Счёт от 12.11.2026, оплата 30 дней.", "Запуск планируем на 2027 год.",
        "Девятьсот заказов в неделю.", "Тариф 4 990 рублей за место.", "Глава 3, страница 118.",
        "Сто двадцать единиц два раза в месяц.", "Сэкономим часов шесть-семь.", "Модель 2024 года, 16 гигабайт.",
        "Тридцать пять тысяч евро максимум.", "Позиция 12, количество 400.", "Встреча 14-го в 14:00.",
        "В прошлый раз ушло 48 часов.", "На десять-пятнадцать процентов больше.", "Триста шестьдесят пять дней в году.",
        "Заказ на 2 500 коробок.", "Сто двадцать тысяч рублей, это с доставкой.",
    ])
    for t in en_keep:
        add("en", None, t, [])
    for t in ru_keep:
        add("ru", None, t, [])
    return rows


def main():
    for split, seed in (("dev", 11), ("test", 29)):
        rows = make(random.Random(seed), split)
        with open(HERE / f"{split}.jsonl", "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        kinds = {}
        for r in rows:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        print(split, len(rows), kinds)


if __name__ == "__main__":
    main()
