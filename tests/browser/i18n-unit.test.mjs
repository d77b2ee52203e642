// The patient web app's Spanish and French tables (data/web/js/i18n-es.js,
// i18n-fr.js) against the English one in i18n.js, without a browser: the
// same keys, the same {placeholders}, every plural form the language needs,
// and nothing left in English.
//
// Run: cd tests/browser && node --test i18n-unit.test.mjs

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

const web = (path) => new URL(path, new URL('../../data/web/', import.meta.url)).href;
const i18n = await import(web('js/i18n.js'));

const EN = i18n.MESSAGES.en;
// Messages that are the same words in that language.
const SAME_AS_ENGLISH = {
  es: new Set(['app.name', 'checkin.when']),
  fr: new Set(['app.name', 'checkin.when', 'call.stage']),
};

function placeholders(message) {
  const forms = typeof message === 'object' ? Object.values(message) : [message];
  return forms.map((m) => [...m.matchAll(/\{(\w+)\}/g)].map((x) => x[1]).sort().join(','));
}

for (const lang of ['es', 'fr']) {
  describe(`the ${lang} table`, () => {
    const table = i18n.MESSAGES[lang];

    test('is there and chosen for the browser language', () => {
      assert.ok(table, `no ${lang} table`);
      assert.equal(i18n.chooseLanguage([`${lang}-XX`]), lang);
    });

    test('has every English key and no other', () => {
      const missing = Object.keys(EN).filter((k) => !(k in table));
      const extra = Object.keys(table).filter((k) => !(k in EN));
      assert.deepEqual(missing, [], `${lang} lacks these keys`);
      assert.deepEqual(extra, [], `${lang} has keys English does not`);
    });

    test('keeps every {placeholder} of each message', () => {
      for (const [key, message] of Object.entries(EN)) {
        const want = new Set(placeholders(message));
        for (const got of placeholders(table[key]))
          assert.ok(want.has(got), `${lang} ${key}: placeholders {${got}} not as in English {${[...want]}}`);
      }
    });

    test('gives every plural form the language has', () => {
      const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
      for (const [key, message] of Object.entries(EN)) {
        if (typeof message !== 'object')
          continue;
        assert.equal(typeof table[key], 'object', `${lang} ${key} is not a plural message`);
        for (const category of categories)
          assert.equal(typeof table[key][category], 'string', `${lang} ${key} lacks the ${category} form`);
      }
      assert.match(i18n.waitPhrase(60, lang), /1/);
      assert.notEqual(i18n.waitPhrase(600, lang), i18n.waitPhrase(600, 'en'));
    });

    test('leaves nothing in English', () => {
      const untranslated = Object.keys(EN).filter((k) =>
        !SAME_AS_ENGLISH[lang].has(k) && JSON.stringify(table[k]) === JSON.stringify(EN[k]));
      assert.deepEqual(untranslated, [], `${lang}: still English`);
    });
  });
}
