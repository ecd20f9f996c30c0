/* The derivation tree behind revocation: preorder list with depths, revoke, grant (replace). */
/* cmocka.h needs these headers first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <kapsel/mapping_tree.h>

struct record {
    struct mapping_node node;
    int id;
    int revoked;
};

static void mark_revoked(struct mapping_node *node, void *context)
{
    int *count = context;
    ((struct record *)node)->revoked = 1;
    (*count)++;
}

/* Builds root -> {a -> {a1, a2}, b -> {b1}} and returns the records by name. */
static void build(struct mapping_tree *tree, struct record *r)
{
    /* r[0]=root r[1]=a r[2]=a1 r[3]=a2 r[4]=b r[5]=b1 */
    for (int i = 0; i < 6; i++) {
        r[i] = (struct record){.id = i};
    }
    tree->first = NULL;
    mapping_tree_insert_root(tree, &r[0].node);
    mapping_tree_insert_child(&r[0].node, &r[4].node);
    mapping_tree_insert_child(&r[4].node, &r[5].node);
    mapping_tree_insert_child(&r[0].node, &r[1].node);
    mapping_tree_insert_child(&r[1].node, &r[3].node);
    mapping_tree_insert_child(&r[1].node, &r[2].node);
}

static void test_preorder_with_depths(void **state)
{
    (void)state;
    struct mapping_tree tree;
    struct record r[6];
    build(&tree, r);
    int expected_order[] = {0, 1, 2, 3, 4, 5};
    uint32_t expected_depth[] = {0, 1, 2, 2, 1, 2};
    int i = 0;
    for (struct mapping_node *node = tree.first; node; node = node->next, i++) {
        assert_int_equal(((struct record *)node)->id, expected_order[i]);
        assert_int_equal(node->depth, expected_depth[i]);
    }
    assert_int_equal(i, 6);
}

static void test_revoke_children_keeps_node_and_siblings(void **state)
{
    (void)state;
    struct mapping_tree tree;
    struct record r[6];
    build(&tree, r);
    int count = 0;
    assert_int_equal(mapping_tree_revoke(&tree, &r[1].node, false, mark_revoked, &count), 2);
    assert_int_equal(count, 2);
    assert_true(r[2].revoked && r[3].revoked);
    assert_false(r[1].revoked || r[4].revoked || r[5].revoked || r[0].revoked);
    assert_ptr_equal(r[1].node.next, &r[4].node);
    assert_ptr_equal(r[4].node.prev, &r[1].node);
}

static void test_revoke_grandchildren_through_root(void **state)
{
    (void)state;
    struct mapping_tree tree;
    struct record r[6];
    build(&tree, r);
    int count = 0;
    assert_int_equal(mapping_tree_revoke(&tree, &r[0].node, true, mark_revoked, &count), 6);
    assert_true(mapping_tree_empty(&tree));
}

static void test_revoke_leaf_with_self(void **state)
{
    (void)state;
    struct mapping_tree tree;
    struct record r[6];
    build(&tree, r);
    int count = 0;
    assert_int_equal(mapping_tree_revoke(&tree, &r[5].node, true, mark_revoked, &count), 1);
    assert_null(r[4].node.next);
    assert_false(mapping_tree_empty(&tree));
}

static void test_second_root_is_not_revoked_with_first(void **state)
{
    (void)state;
    struct mapping_tree tree = {NULL};
    struct record first = {.id = 1}, second = {.id = 2}, child = {.id = 3};
    mapping_tree_insert_root(&tree, &first.node);
    mapping_tree_insert_child(&first.node, &child.node);
    mapping_tree_insert_root(&tree, &second.node);
    int count = 0;
    assert_int_equal(mapping_tree_revoke(&tree, &first.node, true, mark_revoked, &count), 2);
    assert_ptr_equal(tree.first, &second.node);
    assert_false(second.revoked);
}

static void test_replace_moves_position_and_subtree(void **state)
{
    (void)state;
    struct mapping_tree tree;
    struct record r[6];
    build(&tree, r);
    struct record moved = {.id = 9};
    mapping_tree_replace(&tree, &r[1].node, &moved.node);
    assert_ptr_equal(r[0].node.next, &moved.node);
    assert_int_equal(moved.node.depth, 1);
    int count = 0;
    /* The moved node still owns a's children. */
    assert_int_equal(mapping_tree_revoke(&tree, &moved.node, false, mark_revoked, &count), 2);
    assert_true(r[2].revoked && r[3].revoked);
}

static void test_replace_first_node_updates_tree(void **state)
{
    (void)state;
    struct mapping_tree tree;
    struct record r[6];
    build(&tree, r);
    struct record moved = {.id = 9};
    mapping_tree_replace(&tree, &r[0].node, &moved.node);
    assert_ptr_equal(tree.first, &moved.node);
    assert_null(moved.node.prev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preorder_with_depths),
        cmocka_unit_test(test_revoke_children_keeps_node_and_siblings),
        cmocka_unit_test(test_revoke_grandchildren_through_root),
        cmocka_unit_test(test_revoke_leaf_with_self),
        cmocka_unit_test(test_second_root_is_not_revoked_with_first),
        cmocka_unit_test(test_replace_moves_position_and_subtree),
        cmocka_unit_test(test_replace_first_node_updates_tree),
    };
    return cmocka_run_group_tests_name("mapping_tree_test", tests, NULL, NULL);
}
