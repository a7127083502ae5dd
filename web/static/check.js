// carecalc pre-check (/check/<scheme>): the place of hukou picked city → county → township, and the answer
// focused (and so read out) when the page comes back. Without this script the page still works: the townships
// are one list grouped by county, and the form's address ends in #answer.
"use strict";

function townshipPicker(township) {
  const groups = [...township.querySelectorAll("optgroup")].map((group) => ({
    city: group.dataset.city,
    cityName: group.dataset.cityName,
    county: group.dataset.county,
    countyName: group.dataset.countyName,
    options: [...group.querySelectorAll("option")].map((option) => [option.value, option.textContent]),
  }));
  if (!groups.length) return;
  const unknown = township.querySelector("option[value='']")?.textContent ?? "";
  const chosen = groups.find((group) => group.options.some(([value]) => value === township.value));

  const labelled = (id, text) => {
    const label = document.createElement("label");
    const select = document.createElement("select");
    label.htmlFor = select.id = id;
    label.append(text, select);
    return [label, select];
  };
  const fill = (select, first, items, value) => {
    select.replaceChildren(new Option(first, ""), ...items.map(([v, text]) => new Option(text, v, false, v === value)));
  };
  const [cityLabel, city] = labelled(`${township.id}.city`, township.dataset.labelCity);
  const [countyLabel, county] = labelled(`${township.id}.county`, township.dataset.labelCounty);
  township.closest("label").before(cityLabel, countyLabel);

  const cities = [...new Map(groups.map((group) => [group.city, group.cityName]))];
  const showTownships = (value) => {
    const group = groups.find((g) => g.county === county.value);
    fill(township, unknown, group ? group.options : [], value);
  };
  const showCounties = (value) => {
    fill(county, township.dataset.choose, groups.filter((g) => g.city === city.value).map((g) => [g.county, g.countyName]), value);
  };
  fill(city, township.dataset.choose, cities, chosen ? chosen.city : cities.length === 1 ? cities[0][0] : "");
  showCounties(chosen ? chosen.county : "");
  showTownships(chosen ? township.value : "");
  city.addEventListener("change", () => { showCounties(""); showTownships(""); });
  county.addEventListener("change", () => showTownships(""));
}

document.addEventListener("DOMContentLoaded", () => {
  for (const township of document.querySelectorAll("select[data-township-picker]")) townshipPicker(township);
});

// The page that answers a submitted form: move focus to what it says, so a screen reader reads it first. On
// "load", after the browser has scrolled to the address's #answer (which would otherwise leave the focus on the body).
window.addEventListener("load", () => {
  const target = document.getElementById("form-errors") || document.getElementById("answer-heading");
  if (target) {
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "start" });
  }
});
