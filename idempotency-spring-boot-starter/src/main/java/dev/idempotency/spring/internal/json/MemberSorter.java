package dev.idempotency.spring.internal.json;

import java.util.Arrays;

/**
 * The member-sorting half of the canonicaliser: settles each object as pass 1 closes it, and in pass 2 writes the
 * result with every object's members sorted by name (UTF-16 code units, as in RFC 8785), rejecting a name that occurs
 * twice in one object.
 *
 * <p>An object whose members were sent in order stays as it is. A small one out of order that contains no object
 * sorted before it (the innermost, most of them) is sorted where it stands, through a scratch copy. Any other is
 * recorded (its place in the buffer, where each member starts, and the members' sorted order) in flat {@code int}
 * arrays, and pass 2 copies the buffer, writing each recorded object's members in sorted order, each member's bytes
 * copied from the buffer (and any recorded object inside it handled the same way).
 */
final class MemberSorter {

    /** Fields of a recorded object in {@link #objects}. */
    private static final int OBJECT_START = 0;
    private static final int OBJECT_END = 1;
    private static final int OBJECT_SUBTREE_END = 2;
    private static final int OBJECT_FIRST_MEMBER = 3;
    private static final int OBJECT_MEMBER_COUNT = 4;
    private static final int OBJECT_FIELDS = 5;
    /**
     * Largest object sorted where it stands in pass 1. Most objects of a request are small and sorting them at once
     * spares their bookkeeping; a larger one is recorded, so the scratch copy of pass 1 never approaches the body's
     * size.
     */
    private static final int IN_PLACE_LIMIT = 16 * 1024;
    /** {@link #OBJECT_MEMBER_COUNT} of an object whose members are in order: it is copied as it is. */
    private static final int IN_ORDER = -1;

    private final JsonCursor json;

    /**
     * The recorded objects, {@value #OBJECT_FIELDS} ints each, in the order they open (so by their start in the
     * buffer); the objects recorded inside object {@code i} are {@code i + 1} up to its {@link #OBJECT_SUBTREE_END}.
     */
    private int[] objects = new int[4 * OBJECT_FIELDS];
    private int objectCount;

    /** Members of the objects still open: where each starts in the buffer, and the first object recorded after. */
    private int[] openMemberStarts = new int[8];
    private int[] openMemberFirstObjects = new int[8];
    private int openMemberCount;

    /** The same for the members of recorded objects, an object's members contiguous and in the order sent. */
    private int[] memberStarts = new int[8];
    private int[] memberFirstObjects = new int[8];
    /** For each recorded object's slice of the members: the members' indexes in sorted order. */
    private int[] memberOrder = new int[8];
    private int memberCount;

    private int[] sortScratch = new int[0];
    private byte[] byteScratch = new byte[0];
    /**
     * Objects sorted in place or recorded so far: an object that has more of them inside than before it opened is
     * not sorted in place.
     */
    private int sortedObjects;

    /** Pass 2's output. */
    private byte[] out;
    private int outLength;

    MemberSorter(JsonCursor json) {
        this.json = json;
    }

    /** An object opens at the end of the buffer; returns its index, for {@link #closeObject}. */
    int openObject() {
        int index = objectCount++;
        ensureObjects();
        objects[index * OBJECT_FIELDS + OBJECT_START] = json.length;
        return index;
    }

    /** The members of the objects still open; an object's first member is the count when it opened. */
    int openMemberCount() {
        return openMemberCount;
    }

    /** The objects sorted or recorded so far; what it was when an object opened is passed to {@link #closeObject}. */
    int sortedObjects() {
        return sortedObjects;
    }

    /** Pass 2: the canonical result, the recorded objects written with their members sorted. */
    byte[] result() {
        if (objectCount == 0) {
            return Arrays.copyOf(json.buffer, json.length);
        }
        out = new byte[json.length];
        writeRange(0, json.length, 0);
        return out;
    }

    /** A member of the innermost open object starts at the end of the buffer. */
    void openMember() {
        if (openMemberCount == openMemberStarts.length) {
            openMemberStarts = Arrays.copyOf(openMemberStarts, openMemberCount * 2);
            openMemberFirstObjects = Arrays.copyOf(openMemberFirstObjects, openMemberCount * 2);
        }
        openMemberStarts[openMemberCount] = json.length;
        openMemberFirstObjects[openMemberCount] = objectCount;
        openMemberCount++;
    }

    /**
     * Settles the object just parsed (its bytes end the buffer), the cheapest way that keeps the work linear:
     * <ul>
     *   <li>members in order and nothing recorded inside: forgotten, its bytes are canonical as they stand;</li>
     *   <li>members out of order, at most {@value #IN_PLACE_LIMIT} bytes, and no object inside it was sorted or
     *       recorded: sorted where it stands, through a scratch copy. Its ancestors then never are (they contain a
     *       sorted object), so no byte is copied this way twice, and the scratch copy stays small;</li>
     *   <li>otherwise recorded, for pass 2 to write its members in sorted order (or as they stand, if in order).</li>
     * </ul>
     */
    void closeObject(int index, int firstOpenMember, int openedAt, int sortedBefore) {
        int count = openMemberCount - firstOpenMember;
        boolean inOrder = true;
        for (int i = firstOpenMember + 1; i < openMemberCount; i++) {
            int order = compareNames(openMemberStarts[i - 1], openMemberStarts[i]);
            if (order == 0) {
                throw new InvalidJsonException("duplicate member name in the object", openedAt);
            }
            if (order > 0) {
                inOrder = false;
                break;
            }
        }
        int base = index * OBJECT_FIELDS;
        boolean smallAndNothingInside = index == objectCount - 1 && sortedObjects == sortedBefore
                && json.length - objects[base + OBJECT_START] <= IN_PLACE_LIMIT;
        if (inOrder && index == objectCount - 1) {
            objectCount--;
        } else if (inOrder) {
            objects[base + OBJECT_END] = json.length;
            objects[base + OBJECT_SUBTREE_END] = objectCount;
            objects[base + OBJECT_MEMBER_COUNT] = IN_ORDER;
        } else if (smallAndNothingInside) {
            int first = sortMembers(firstOpenMember, count, openedAt);
            sortInPlace(objects[base + OBJECT_START], first, count);
            memberCount = first;
            objectCount--;
            sortedObjects++;
        } else {
            int first = sortMembers(firstOpenMember, count, openedAt);
            objects[base + OBJECT_END] = json.length;
            objects[base + OBJECT_SUBTREE_END] = objectCount;
            objects[base + OBJECT_FIRST_MEMBER] = first;
            objects[base + OBJECT_MEMBER_COUNT] = count;
            sortedObjects++;
        }
        openMemberCount = firstOpenMember;
    }

    /**
     * Moves the open object's members to the recorded members and sorts them, rejecting a name that occurs twice.
     * Returns the index of its first member.
     */
    private int sortMembers(int firstOpenMember, int count, int openedAt) {
        int first = memberCount;
        ensureMembers(count);
        System.arraycopy(openMemberStarts, firstOpenMember, memberStarts, first, count);
        System.arraycopy(openMemberFirstObjects, firstOpenMember, memberFirstObjects, first, count);
        for (int i = 0; i < count; i++) {
            memberOrder[first + i] = first + i;
        }
        memberCount += count;
        if (sortScratch.length < count) {
            sortScratch = new int[Math.max(count, sortScratch.length * 2)];
        }
        sort(first, first + count);
        for (int i = first + 1; i < first + count; i++) {
            if (compareNames(memberStarts[memberOrder[i - 1]], memberStarts[memberOrder[i]]) == 0) {
                throw new InvalidJsonException("duplicate member name in the object", openedAt);
            }
        }
        return first;
    }

    /** Rewrites the object at the end of the buffer, from {@code start}, which contains no object to sort, with its members sorted. */
    private void sortInPlace(int start, int first, int count) {
        int size = json.length - start;
        if (byteScratch.length < size) {
            byteScratch = new byte[Math.max(size, byteScratch.length * 2)];
        }
        System.arraycopy(json.buffer, start, byteScratch, 0, size);
        int last = first + count - 1;
        int at = start;
        json.buffer[at++] = '{';
        for (int k = first; k <= last; k++) {
            if (k > first) {
                json.buffer[at++] = ',';
            }
            int member = memberOrder[k];
            int memberStart = memberStarts[member];
            int memberEnd = member < last ? memberStarts[member + 1] - 1 : json.length - 1;
            System.arraycopy(byteScratch, memberStart - start, json.buffer, at, memberEnd - memberStart);
            at += memberEnd - memberStart;
        }
        json.buffer[at] = '}';
    }

    private void ensureObjects() {
        if (objectCount * OBJECT_FIELDS > objects.length) {
            objects = Arrays.copyOf(objects, objects.length * 2);
        }
    }

    private void ensureMembers(int more) {
        if (memberCount + more > memberStarts.length) {
            int capacity = Math.max(memberCount + more, memberStarts.length * 2);
            memberStarts = Arrays.copyOf(memberStarts, capacity);
            memberFirstObjects = Arrays.copyOf(memberFirstObjects, capacity);
            memberOrder = Arrays.copyOf(memberOrder, capacity);
        }
    }

    // ---- sorting member names ----

    /** Merge sort of {@code memberOrder[from, to)} by member name: stable, no allocation, n log n comparisons. */
    private void sort(int from, int to) {
        if (to - from < 2) {
            return;
        }
        int middle = (from + to) >>> 1;
        sort(from, middle);
        sort(middle, to);
        if (compareNames(memberStarts[memberOrder[middle - 1]], memberStarts[memberOrder[middle]]) <= 0) {
            return;
        }
        int left = from;
        int right = middle;
        int k = 0;
        while (left < middle && right < to) {
            if (compareNames(memberStarts[memberOrder[left]], memberStarts[memberOrder[right]]) <= 0) {
                sortScratch[k++] = memberOrder[left++];
            } else {
                sortScratch[k++] = memberOrder[right++];
            }
        }
        while (left < middle) {
            sortScratch[k++] = memberOrder[left++];
        }
        while (right < to) {
            sortScratch[k++] = memberOrder[right++];
        }
        System.arraycopy(sortScratch, 0, memberOrder, from, k);
    }

    /**
     * Compares two canonical member names in the buffer (each starting at its opening quote) by the UTF-16 code
     * units of their unescaped text, as RFC 8785 sorts. The escapes of the canonical form stand for ASCII characters,
     * compared as those; other bytes are UTF-8, whose byte order is code point order. That differs from UTF-16 order
     * only between a supplementary character (lead byte F0 to F4, a surrogate pair in UTF-16) and U+E000 to U+FFFF
     * (lead byte EE or EF), where UTF-16 puts the surrogates first.
     */
    private int compareNames(int a, int b) {
        int i = a + 1;
        int j = b + 1;
        while (true) {
            int x = json.buffer[i] & 0xFF;
            int y = json.buffer[j] & 0xFF;
            boolean endX = x == '"';
            boolean endY = y == '"';
            if (endX || endY) {
                return endX && endY ? 0 : endX ? -1 : 1;
            }
            i++;
            j++;
            if (x == '\\') {
                x = unescaped(i);
                i += escapeLength(i);
            }
            if (y == '\\') {
                y = unescaped(j);
                j += escapeLength(j);
            }
            if (x != y) {
                if (x >= 0xF0 && (y == 0xEE || y == 0xEF)) {
                    return -1;
                }
                if (y >= 0xF0 && (x == 0xEE || x == 0xEF)) {
                    return 1;
                }
                return x - y;
            }
        }
    }

    /** The character a canonical escape stands for; {@code at} is just after its backslash. */
    private int unescaped(int at) {
        return switch (json.buffer[at]) {
            case '"' -> '"';
            case '\\' -> '\\';
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            default -> Character.digit(json.buffer[at + 3], 16) * 16 + Character.digit(json.buffer[at + 4], 16); // u00XX
        };
    }

    private int escapeLength(int at) {
        return json.buffer[at] == 'u' ? 5 : 1;
    }

    // ---- pass 2: write the result, recorded objects with their members sorted ----

    /** Copies {@code buffer[from, to)}, writing each recorded object in it (from {@code object} on) sorted. */
    private void writeRange(int from, int to, int object) {
        int at = from;
        while (object < objectCount && objects[object * OBJECT_FIELDS + OBJECT_START] < to) {
            int base = object * OBJECT_FIELDS;
            copy(at, objects[base + OBJECT_START]);
            writeObject(object);
            at = objects[base + OBJECT_END];
            object = objects[base + OBJECT_SUBTREE_END];
        }
        copy(at, to);
    }

    private void writeObject(int object) {
        int base = object * OBJECT_FIELDS;
        int count = objects[base + OBJECT_MEMBER_COUNT];
        if (count == IN_ORDER) {
            writeRange(objects[base + OBJECT_START], objects[base + OBJECT_END], object + 1);
            return;
        }
        int first = objects[base + OBJECT_FIRST_MEMBER];
        int last = first + count - 1;
        out[outLength++] = '{';
        for (int k = first; k <= last; k++) {
            if (k > first) {
                out[outLength++] = ',';
            }
            int member = memberOrder[k];
            // A member ends where the comma before the next one, or the closing brace, starts.
            int end = member < last ? memberStarts[member + 1] - 1 : objects[base + OBJECT_END] - 1;
            writeRange(memberStarts[member], end, memberFirstObjects[member]);
        }
        out[outLength++] = '}';
    }

    private void copy(int from, int to) {
        System.arraycopy(json.buffer, from, out, outLength, to - from);
        outLength += to - from;
    }
}
