#!/usr/bin/env node
// Writes Pokemon Showdown's Gen 1 data facts as one JSON object on stdout, for
// `specc scrape showdown:gen1` (scrapers/showdown.py turns it into tables).
//
// Only numbers, types, flags and identifiers leave this script: no descriptions
// (`desc`, `shortDesc`) and no code. Where a move runs custom code in Showdown, the
// names of those hooks are listed so the table can say which moves need special rules.
//
//   node showdown/export_gen1.js [--teams N]
'use strict';

const path = require('path');
const {Dex, Teams} = require('pokemon-showdown');

const FIRST_NUM = 1;
const LAST_SPECIES = 151;
const LAST_MOVE = 165; // Struggle

/** Names of function-valued keys of `obj`, each prefixed with `prefix`. */
function hooks(obj, prefix) {
	if (!obj || typeof obj !== 'object') return [];
	return Object.keys(obj).filter(k => typeof obj[k] === 'function').map(k => prefix + k);
}

/** A JSON-safe copy of plain data (functions dropped). */
function plain(value) {
	return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

function exportSpecies(dex) {
	return dex.species.all()
		.filter(s => s.num >= FIRST_NUM && s.num <= LAST_SPECIES && !s.forme)
		.sort((a, b) => a.num - b.num)
		.map(s => ({num: s.num, id: s.id, name: s.name, types: s.types, baseStats: plain(s.baseStats)}));
}

const MOVE_FIELDS = [
	'type', 'category', 'basePower', 'accuracy', 'pp', 'priority', 'target', 'critRatio', 'flags',
	'multihit', 'damage', 'recoil', 'drain', 'ohko', 'selfdestruct', 'hasCrashDamage', 'status',
	'volatileStatus', 'boosts', 'callsMove', 'ignoreImmunity', 'secondaries', 'self',
];

function exportMoves(dex) {
	return dex.moves.all()
		.filter(m => m.num >= FIRST_NUM && m.num <= LAST_MOVE)
		.sort((a, b) => a.num - b.num)
		.map(m => {
			const out = {num: m.num, id: m.id, name: m.name};
			for (const field of MOVE_FIELDS) {
				if (m[field] !== undefined && m[field] !== null) out[field] = plain(m[field]);
			}
			out.hooks = [...hooks(m, ''), ...hooks(m.condition, 'condition.'), ...hooks(m.self, 'self.'),
				...(m.secondaries || []).flatMap(s => hooks(s, 'secondary.'))];
			return out;
		});
}

function exportTypes(dex) {
	const names = dex.types.names();
	return names.map(name => {
		const taken = dex.types.get(name).damageTaken;
		const against = {}; // attacking type -> Showdown's code: 0 neutral, 1 weak, 2 resists, 3 immune
		const statusImmune = [];
		for (const [key, code] of Object.entries(taken)) {
			if (names.includes(key)) against[key] = code;
			else if (code === 3) statusImmune.push(key);
		}
		return {name, damageTaken: against, statusImmune};
	});
}

function exportRandomBattles(count) {
	const file = path.join(path.dirname(require.resolve('pokemon-showdown/package.json')),
		'dist', 'data', 'random-battles', 'gen1', 'data.json');
	const pool = require(file);
	const teams = [];
	for (let i = 0; i < count; i++) {
		const seed = `${i + 1},${i + 2},${i + 3},${i + 4}`;
		teams.push({seed, sets: Teams.generate('gen1randombattle', {seed}).map(s => ({
			species: s.species, level: s.level, moves: s.moves, evs: s.evs, ivs: s.ivs,
		}))});
	}
	return {pool, teams};
}

function main() {
	const args = process.argv.slice(2);
	const at = args.indexOf('--teams');
	const count = at >= 0 ? Number(args[at + 1]) : 200;
	if (!Number.isInteger(count) || count < 0) throw new Error(`--teams takes a whole number, got ${args[at + 1]}`);
	const dex = Dex.mod('gen1');
	const version = require('pokemon-showdown/package.json').version;
	const out = {
		source: `pokemon-showdown ${version}`,
		species: exportSpecies(dex),
		moves: exportMoves(dex),
		types: exportTypes(dex),
		randomBattles: exportRandomBattles(count),
	};
	process.stdout.write(JSON.stringify(out) + '\n');
}

main();
