/**
 * People (reference PersonGenerator): dense ids from {@link FIRST_PERSON_ID}, a handful of
 * names, cities and states so that the queries find matches even on small runs.
 */
import { FIRST_PERSON_ID, lastBase0PersonId, type NexmarkConfig } from './nexmark-config.js';
import type { Person } from './nexmark-events.js';
import { type EventRandom, nextExtra, nextString } from './nexmark-random.js';

/** Ids a random person may be ahead of the last generated one (bids before the person). */
const PERSON_ID_LEAD = 10;

const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];

function fourDigits(n: number): string {
  return n < 10 ? `000${n}` : n < 100 ? `00${n}` : n < 1000 ? `0${n}` : `${n}`;
}

/** The person of event `n` (which must be a person event). */
export function nextPerson(config: NexmarkConfig, n: number, rnd: EventRandom, timestamp: number): Person {
  const id = lastBase0PersonId(config, n) + FIRST_PERSON_ID;
  const name = `${FIRST_NAMES[rnd.nextInt(FIRST_NAMES.length)]} ${LAST_NAMES[rnd.nextInt(LAST_NAMES.length)]}`;
  const emailAddress = `${nextString(rnd, 7)}@${nextString(rnd, 5)}.com`;
  const creditCard = `${fourDigits(rnd.nextInt(10000))} ${fourDigits(rnd.nextInt(10000))} ${fourDigits(rnd.nextInt(10000))} ${fourDigits(rnd.nextInt(10000))}`;
  const city = US_CITIES[rnd.nextInt(US_CITIES.length)]!;
  const state = US_STATES[rnd.nextInt(US_STATES.length)]!;
  const currentSize = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
  const extra = nextExtra(rnd, currentSize, config.avgPersonByteSize);
  return { type: 'person', id, name, emailAddress, creditCard, city, state, dateTime: timestamp, extra };
}

/**
 * A random person id (base 0) among the `numActivePeople` most recent, plus a few not yet
 * generated (so some bids and auctions come before their person).
 */
export function nextBase0PersonId(config: NexmarkConfig, n: number, rnd: EventRandom): number {
  const numPeople = lastBase0PersonId(config, n) + 1;
  const activePeople = Math.min(numPeople, config.numActivePeople);
  return numPeople - activePeople + rnd.nextInt(activePeople + PERSON_ID_LEAD);
}
