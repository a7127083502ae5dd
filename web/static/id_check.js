// carecalc: what the ID number and the certificate number say, live as the clerk types on the application form
// (web/identity.py says the same on the server, after a submit and on the case page). GB 11643: characters 1-6
// the address code, 7-14 the birth date, 17 the sex (odd male), 18 the ISO 7064 MOD 11-2 check character; the
// certificate adds character 19 (category) and 20 (grade). Warnings only: no field is changed.
"use strict";

(() => {
  const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const CHECK = "10X98765432";

  const normalised = (value) => (value || "").normalize("NFKC").trim().toUpperCase();
  const checkCharacter = (first17) =>
    CHECK[[...first17].reduce((sum, digit, i) => sum + Number(digit) * WEIGHTS[i], 0) % 11];
  const fill = (text, values) => Object.entries(values).reduce((s, [k, v]) => s.split(`{${k}}`).join(v), text);

  function birthDate(number) {
    const [y, m, d] = [number.slice(6, 10), number.slice(10, 12), number.slice(12, 14)].map(Number);
    const date = new Date(Date.UTC(y, m - 1, d));
    const valid = date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d && y >= 1900;
    return valid ? `${number.slice(6, 10)}-${number.slice(10, 12)}-${number.slice(12, 14)}` : null;
  }

  function readId(raw) {
    const number = normalised(raw);
    if (!/^[0-9]{17}[0-9X]$/.test(number)) return null;
    const expected = checkCharacter(number.slice(0, 17));
    if (number[17] !== expected) return { number, expected };
    const born = birthDate(number);
    return born ? { number, address: number.slice(0, 6), born, sexDigit: number[16], male: Number(number[16]) % 2 === 1 } : null;
  }

  function lines(form, settings) {
    const { texts, places, categories, grades } = settings;
    const place = (code) => (places[code] ? `${places[code]}（${code}）` : code);
    const value = (id) => (form.querySelector(`[id='${id}']`) || {}).value || "";
    const found = [];
    const id = readId(value("id_number"));
    if (id && id.expected) {
      found.push(["problem", "id-check", fill(texts.id_check_character, { expected: id.expected })]);
    } else if (id) {
      const sex = id.male ? texts["sex.male"] : texts["sex.female"];
      found.push(["hint", "id-reading", texts.id_reading + texts.colon +
        fill(texts.id_reading_text, { address: place(id.address), birth: id.born, sex_digit: id.sexDigit, sex })]);
    }
    const certificate = normalised(value("disability_certificate_number"));
    if (certificate.length === 20 && categories[certificate[18]] && grades[certificate[19]]) {
      found.push(["hint", "certificate-live", texts.certificate_reading + texts.colon +
        fill(texts.certificate_digit_category, { digit: certificate[18], name: categories[certificate[18]] }) +
        texts.semicolon + fill(texts.certificate_digit_grade, { digit: certificate[19], name: grades[certificate[19]] })]);
      if (id && !id.expected && certificate.slice(0, 18) !== id.number) {
        found.push(["problem", "certificate-other-id", texts.certificate_other_id]);
      }
    }
    if (id && !id.expected) {
      const stated = value("proposed.birth_date");
      if (/^\d{4}-\d{2}-\d{2}$/.test(stated) && stated !== id.born) {
        found.push(["problem", "birth-date-conflict", fill(texts.birth_date_conflict, { stated, decoded: id.born })]);
      }
      const division = value("division_code");
      if (/^\d{6}(\d{3})?$/.test(division) && division.slice(0, 6) !== id.address) {
        found.push(["problem", "hukou-conflict",
          fill(texts.hukou_conflict, { stated: place(division.slice(0, 6)), decoded: place(id.address) })]);
      }
    }
    return found;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const region = document.getElementById("identity-check");
    const form = region && region.closest("form");
    if (!form) return;
    const settings = JSON.parse(region.dataset.settings);
    const update = () => {
      const shown = lines(form, settings);
      const current = [...region.children].map((p) => `${p.id}|${p.textContent}`).join("\n");
      if (current === shown.map(([, id, text]) => `${id}|${text}`).join("\n")) return; // nothing new to announce
      region.replaceChildren(...shown.map(([kind, id, text]) => {
        const line = document.createElement("p");
        line.className = kind;
        line.id = id;
        line.textContent = text;
        return line;
      }));
    };
    for (const name of ["id_number", "disability_certificate_number", "proposed.birth_date", "division_code"]) {
      const field = form.querySelector(`[id='${name}']`);
      if (field) {
        field.addEventListener("input", update);
        field.addEventListener("change", update);
      }
    }
    update(); // values the browser restored (back button) are read too
  });
})();
