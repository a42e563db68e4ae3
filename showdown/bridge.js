#!/usr/bin/env node
// specc's bridge to Pokemon Showdown's battle simulator: JSON lines on stdin, one JSON
// line answered on stdout per request. Driven by specc/verify/showdown.py.
//
// Every random draw the battle makes goes through ScriptedPRNG below. Draws the caller
// supplies ("draws": [...]) are used first, in order; when none are left the battle
// either stops with an error naming the draw it wanted ("strict": true) or falls back
// to Showdown's own PRNG seeded with "seed" (then the battle is exactly the one
// Showdown plays from that seed). Each answer lists the draws made since the last one:
//   {kind, lo, hi, num?, value, result?, given, at?}
// kind: "random" (an integer in lo..hi-1), "chance" (value in 0..hi-1, the result is
// value < num), "sample" (an index in 0..hi-1 into the sampled list), "shuffle" (one
// swap draw of a Fisher-Yates shuffle over lo..hi-1: speed ties), "float" (in [0, 1)).
// With "trace": true each draw also says where in Showdown it came from ("at").
//
// Requests:
//   {"cmd": "start", "p1": {"name", "team"}, "p2": {...}, "seed"?, "draws"?, "strict"?, "trace"?, "log"?}
//   {"cmd": "choose", "p1": "move 1", "p2": "switch 3", "draws"?}
//   {"cmd": "team", "seed": "1,2,3,4"}        a Gen 1 random-battle team from Showdown's generator
//   {"cmd": "bench", "battles": N, "seed": S, "plain"?} random battles inside node: battles, turns (choice rounds),
//                                             battle_turns (battle.turn summed), seconds
//                                             (plain: Showdown's own PRNG object, to see the bridge's cost;
//                                             digest: a hash of the battles' logs; check: compare the
//                                             legal choices we report with what Showdown accepts)
// Answers: {"ok": true, ...} or {"ok": false, "error": "..."}.
'use strict';

const readline = require('readline');
const {Battle, PRNG, Teams} = require('pokemon-showdown');

const FORMAT = 'gen1customgame';
const STAT_DEFAULT = {hp: 255, atk: 255, def: 255, spa: 255, spd: 255, spe: 255};
const IV_DEFAULT = {hp: 30, atk: 30, def: 30, spa: 30, spd: 30, spe: 30};
const STATE_SKIP = new Set(['id', 'effectOrder', 'target', 'source', 'sourceEffect', 'sourceSlot', 'linkedPokemon']);

class DrawError extends Error {}

/** A stand-in for Showdown's PRNG: supplied values first, then (unless strict) Showdown's own. */
class ScriptedPRNG {
	constructor(seed, strict, trace) {
		this.own = new PRNG(seed || null);
		this.startingSeed = this.own.startingSeed;
		this.strict = !!strict;
		this.trace = !!trace;
		this.queue = [];
		this.log = [];
	}

	getSeed() { return this.own.getSeed(); }
	setSeed(seed) { this.own.setSeed(seed); }
	clone() { return new PRNG(this.own.getSeed(), this.startingSeed); }

	supply(values) {
		for (const v of values || []) this.queue.push(v);
	}

	/** One draw of `kind` over lo..hi-1 (hi null: a float in [0, 1)); the value. */
	draw(kind, lo, hi, num) {
		const entry = {kind, lo, hi};
		if (num !== undefined) entry.num = num;
		if (this.trace) entry.at = caller();
		const span = `${kind} over ${lo}..${hi === null ? 1 : hi - 1}` + (num === undefined ? '' : `, succeeds below ${num}`);
		const which = `draw #${this.log.length + 1} of this step (${span})`;
		let value;
		if (this.queue.length) {
			value = this.queue.shift();
			entry.given = true;
			if (kind === 'chance' && typeof value === 'boolean') {
				if (value ? num <= 0 : num >= hi) throw new DrawError(`${which} cannot come out ${value}`);
				value = value ? 0 : hi - 1; // a success or failure given outright
			}
			const bad = hi === null ? !(value >= 0 && value < 1) :
				!(Number.isInteger(value) && value >= lo && value < hi);
			if (bad) throw new DrawError(`${which} was given ${JSON.stringify(value)}, which is outside it`);
		} else if (this.strict) {
			throw new DrawError(`Showdown asked for ${which} and none was supplied` + (entry.at ? ` (at ${entry.at})` : ''));
		} else {
			value = hi === null ? this.own.random() : this.own.random(lo, hi);
			entry.given = false;
		}
		entry.value = value;
		this.log.push(entry);
		return entry;
	}

	random(from, to) {
		if (from === undefined) return this.draw('float', 0, null).value;
		from = Math.floor(from);
		if (to === undefined) return this.draw('random', 0, from).value;
		return this.draw('random', from, Math.floor(to)).value;
	}

	randomChance(numerator, denominator) {
		const entry = this.draw('chance', 0, denominator, numerator);
		entry.result = entry.value < numerator;
		return entry.result;
	}

	sample(items) {
		if (!items.length) throw new RangeError('Cannot sample an empty array');
		return items[this.draw('sample', 0, items.length).value];
	}

	shuffle(items, start = 0, end = items.length) {
		while (start < end - 1) {
			const next = this.draw('shuffle', start, end).value;
			if (start !== next) [items[start], items[next]] = [items[next], items[start]];
			start++;
		}
	}

	take() {
		const log = this.log;
		this.log = [];
		return log;
	}
}

/** Where in Showdown a draw was asked for: the innermost frames outside this file and the PRNG. */
function caller() {
	const frames = (new Error().stack || '').split('\n').slice(1);
	const out = [];
	for (const line of frames) {
		const m = /at (?:(\S+) )?\(?(.*?):(\d+):\d+\)?$/.exec(line.trim());
		if (!m || m[2].endsWith('bridge.js') || m[2].endsWith('prng.js')) continue;
		const fn = m[1] || '?';
		if (/^Battle\.(random|randomChance|sample)$/.test(fn)) continue;
		const file = m[2].replace(/^.*pokemon-showdown\/dist\//, '');
		out.push(`${fn} ${file}:${m[3]}`);
		if (out.length === 3) break;
	}
	return out.join(' < ');
}

/** A team as Showdown sets: defaults for what a Gen 1 set may leave out (gender N: no draw). */
function sets(team) {
	if (typeof team === 'string') return Teams.unpack(team);
	return team.map(s => ({
		name: s.name || s.species, species: s.species, moves: s.moves, ability: 'No Ability', item: '',
		level: s.level || 100, gender: s.gender || 'N', evs: {...STAT_DEFAULT, ...s.evs}, ivs: {...IV_DEFAULT, ...s.ivs},
	}));
}

function effectState(state) {
	const out = {};
	for (const [k, v] of Object.entries(state || {})) {
		if (STATE_SKIP.has(k)) continue;
		if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') out[k] = v;
		else if (v && typeof v === 'object' && typeof v.id === 'string' && k !== 'target') out[k] = v.id;
	}
	return out;
}

function pokemonView(pokemon, slot) {
	const volatiles = {};
	for (const [id, state] of Object.entries(pokemon.volatiles)) volatiles[id] = effectState(state);
	return {
		slot, species: pokemon.species.id, position: pokemon.position + 1, active: pokemon.isActive,
		hp: pokemon.hp, maxhp: pokemon.maxhp, fainted: pokemon.fainted, status: pokemon.status,
		statusState: pokemon.status ? effectState(pokemon.statusState) : {},
		boosts: {...pokemon.boosts}, stats: {...pokemon.storedStats}, modifiedStats: {...(pokemon.modifiedStats || {})},
		moves: pokemon.moveSlots.map(m => ({id: m.id, pp: m.pp, maxpp: m.maxpp, disabled: !!m.disabled})),
		volatiles,
	};
}

/** The choices a request allows, as Showdown choice strings. */
function choices(request) {
	if (!request || request.wait) return [];
	const team = request.side.pokemon;
	const switches = [];
	team.forEach((p, i) => {
		if (!p.active && !p.condition.endsWith(' fnt')) switches.push(`switch ${i + 1}`);
	});
	if (request.forceSwitch) return switches;
	if (request.teamPreview) return ['default'];
	const active = request.active[0];
	const moves = [];
	active.moves.forEach((m, i) => {
		if (!m.disabled) moves.push(`move ${i + 1}`);
	});
	return active.trapped ? moves : moves.concat(switches);
}

class Session {
	constructor(msg) {
		this.prng = new ScriptedPRNG(msg.seed ? String(msg.seed) : '1,2,3,4', msg.strict, msg.trace);
		if (msg.plain) this.prng = Object.assign(this.prng.own, {take: () => [], supply: () => {}, queue: []});
		this.wantLog = !!msg.log;
		this.prng.supply(msg.draws);
		this.battle = new Battle({formatid: msg.format || FORMAT, prng: this.prng, strictChoices: true});
		// Custom games set the battle's trunc to Math.trunc (for levels over 255), which turns off Gen 1's
		// cartridge truncation: stats of 1024 and more rolling over when quartered, PP kept in 6 bits.
		// Showdown's Gen 1 random battles and ladder formats truncate; so does the spec.
		this.battle.trunc = this.battle.dex.trunc;
		this.logAt = 0;
		this.slots = new Map();
		for (const id of ['p1', 'p2']) {
			const player = msg[id];
			if (!player || !player.team) throw new Error(`start: ${id} needs a team`);
			this.battle.setPlayer(id, {name: player.name || id, team: sets(player.team)});
		}
		for (const side of this.battle.sides) side.pokemon.forEach((p, i) => this.slots.set(p, i));
	}

	choose(msg) {
		if (this.battle.ended) throw new Error('choose: the battle is over');
		this.prng.supply(msg.draws);
		const inputs = ['p1', 'p2'].map(id => {
			const side = this.battle.getSide(id);
			return side.requestState === '' || side.activeRequest?.wait ? '' : (msg[id] || '');
		});
		for (const [i, input] of inputs.entries()) {
			const side = this.battle.sides[i];
			if (!input && side.activeRequest && !side.activeRequest.wait) {
				throw new Error(`choose: ${side.id} must choose (${choices(side.activeRequest).join(', ')})`);
			}
		}
		this.battle.makeChoices(...inputs);
	}

	view() {
		const b = this.battle;
		const sides = b.sides.map(side => {
			const team = [...side.pokemon].sort((x, y) => this.slots.get(x) - this.slots.get(y));
			const active = side.active[0];
			return {
				name: side.name, active: active ? this.slots.get(active) : -1, pokemonLeft: side.pokemonLeft,
				pokemon: team.map(p => pokemonView(p, this.slots.get(p))),
				request: b.ended ? [] : choices(side.activeRequest),
			};
		});
		let winner = null;
		if (b.ended) winner = b.winner ? b.sides.find(s => s.name === b.winner).id : 'tie';
		const out = {ok: true, turn: b.turn, ended: b.ended, winner, sides, draws: this.prng.take(),
			unused: this.prng.queue.length};
		this.prng.queue = [];
		if (this.wantLog) {
			out.log = b.log.slice(this.logAt);
			this.logAt = b.log.length;
		}
		return out;
	}
}

function randomTeam(seed) {
	return Teams.generate('gen1randombattle', {seed: String(seed)}).map(s => ({
		species: s.species, level: s.level, moves: s.moves, evs: s.evs, ivs: s.ivs,
	}));
}

const CANDIDATES = ['move 1', 'move 2', 'move 3', 'move 4',
	'switch 1', 'switch 2', 'switch 3', 'switch 4', 'switch 5', 'switch 6'];

/** The candidate choices Showdown itself accepts for `side` now (each tried, then cleared). */
function accepted(side) {
	return CANDIDATES.filter(c => {
		let ok;
		try {
			ok = side.choose(c) !== false;
		} catch {
			ok = false;
		}
		side.clearChoice();
		return ok;
	});
}

/** A 32-bit FNV-1a hash of a string, as 8 hex digits: to compare battle logs cheaply. */
function fnv1a(text) {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193) >>> 0;
	}
	return h.toString(16).padStart(8, '0');
}

/** `battles` random battles with random legal choices, all inside node (Showdown's own PRNG);
 * the teams are generated before the clock starts. `plain`: Showdown's PRNG itself, no draw log;
 * `check`: also try every candidate choice on Showdown and count requests where the accepted ones
 * differ from `choices` (the first few are listed). */
function bench(battles, seed, plain, check) {
	const pick = new PRNG(`${seed},${seed + 1},${seed + 2},${seed + 3}`);
	const teams = [];
	for (let i = 0; i < 2 * battles; i++) teams.push(randomTeam(`${seed},${i},7,11`));
	let turns = 0, battleTurns = 0, checked = 0;
	const logs = [], mismatches = [];
	const start = process.hrtime.bigint();
	for (let i = 0; i < battles; i++) {
		const session = new Session({seed: `${seed},${i},3,5`, p1: {team: teams[2 * i]}, p2: {team: teams[2 * i + 1]},
			plain});
		const b = session.battle;
		while (!b.ended && b.turn < 1000) {
			for (const side of check ? b.sides : []) {
				if (!side.activeRequest || side.activeRequest.wait) continue;
				checked++;
				const ours = choices(side.activeRequest), theirs = accepted(side);
				if (ours.join() !== theirs.join() && mismatches.length < 5) mismatches.push({battle: i, turn: b.turn, ours, theirs});
			}
			const inputs = b.sides.map(side => {
				const options = choices(side.activeRequest);
				return options.length ? pick.sample(options) : '';
			});
			session.choose({p1: inputs[0], p2: inputs[1]});
			session.prng.take();
			turns++;
		}
		battleTurns += b.turn;
		logs.push(b.log.filter(line => !line.startsWith('|t:|')).join('\n'));
	}
	const seconds = Number(process.hrtime.bigint() - start) / 1e9;
	const out = {ok: true, battles, turns, battle_turns: battleTurns, seconds, digest: fnv1a(logs.join('\n'))};
	return check ? Object.assign(out, {checked, mismatches}) : out;
}

function handle(session, msg) {
	switch (msg.cmd) {
	case 'start': {
		const s = new Session(msg);
		return [s, s.view()];
	}
	case 'choose':
		if (!session) throw new Error('choose: no battle: send start first');
		try {
			session.choose(msg);
		} catch (err) {
			if (err instanceof DrawError) return [null, {ok: false, error: err.message, draws: session.prng.take()}];
			throw err;
		}
		return [session, session.view()];
	case 'team':
		return [session, {ok: true, team: randomTeam(msg.seed || '1,2,3,4')}];
	case 'bench':
		return [session, bench(msg.battles || 10, msg.seed || 1, !!msg.plain, !!msg.check)];
	default:
		throw new Error(`unknown command ${JSON.stringify(msg.cmd)} (start, choose, team, bench)`);
	}
}

function main() {
	let session = null;
	const rl = readline.createInterface({input: process.stdin, terminal: false});
	rl.on('line', line => {
		if (!line.trim()) return;
		let answer;
		try {
			[session, answer] = handle(session, JSON.parse(line));
		} catch (err) {
			answer = {ok: false, error: err.message || String(err)};
			if (!(err instanceof DrawError)) answer.where = (err.stack || '').split('\n')[1]?.trim();
		}
		process.stdout.write(JSON.stringify(answer) + '\n');
	});
}

if (require.main === module) main();
module.exports = {ScriptedPRNG, Session, choices, randomTeam, bench};
